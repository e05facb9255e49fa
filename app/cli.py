"""The `dangol` command: dev, web, worker, migrate, webhook trigger."""

from __future__ import annotations

import asyncio
import importlib
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from app import __version__
from app.core.config import UnusableSettings, get_settings
from app.core.logging import configure_logging


@click.group()
@click.version_option(__version__, prog_name="dangol")
def main() -> None:
    """Dangol: loyalty, referrals and retention for Shopify shops."""


@main.command()
@click.option("--port", default=8000, show_default=True, help="web port")
@click.option("--smtp-port", default=1025, show_default=True, help="local SMTP server port")
def dev(port: int, smtp_port: int) -> None:
    """Everything on one machine: web, worker, SQLite, embedded Redis, local mail and the dev store."""
    # By name: the development tools load only for the commands that use them.
    sys.exit(importlib.import_module("app.dev").run_dev(port=port, smtp_port=smtp_port))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option(
    "--server-log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="uvicorn's own lines (its start and stop are at info)",
)
def web(host: str, port: int, server_log_level: str) -> None:
    """Serve the HTTP app."""
    with _quiet_on_interrupt():
        import uvicorn

        from app.http.main import create_app

        settings = get_settings()
        _require_credentials()
        configure_logging(settings.dangol_log_format)
        # log_config=None: uvicorn's records go through our handler (JSON in production), not its own.
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_config=None,
            log_level=server_log_level,
            access_log=False,
        )


@main.command()
def worker() -> None:
    """Run the arq worker; it restarts itself when Redis goes away and comes back."""
    with _quiet_on_interrupt():
        from app.worker import supervise

        _require_credentials()
        settings = get_settings()
        configure_logging(settings.dangol_log_format)
        asyncio.run(supervise(settings))


@main.command()
def migrate() -> None:
    """Bring the database schema to the newest revision."""
    from app.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    click.echo(f"database at the newest revision ({settings.database_url})")


@main.group()
def webhook() -> None:
    """Webhook tools."""


@webhook.command("trigger")
@click.option("--topic", required=True, help="e.g. orders/paid")
@click.option("--address", required=True, help="where to POST, e.g. http://127.0.0.1:8000/webhooks")
@click.option("--shop", default=None, help="shop domain (default: the dev store's demo shop)")
@click.option(
    "--payload",
    "payload_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON body to send (default: a sample for the topic)",
)
@click.option("--api-version", default=None, help="X-Shopify-API-Version (default: SHOPIFY_API_VERSION)")
def trigger(topic: str, address: str, shop: str | None, payload_file: Path | None, api_version: str | None) -> None:
    """Send a correctly signed webhook, like `shopify app webhook trigger`."""
    samples = importlib.import_module("app.devstore.webhooks")
    status, body = asyncio.run(
        samples.send_sample_webhook(
            get_settings(),
            topic=topic,
            address=address,
            shop=shop,
            body=payload_file.read_bytes() if payload_file else None,
            api_version=api_version,
        )
    )
    click.echo(f"{status} {body}".strip())
    sys.exit(0 if 200 <= status < 300 else 1)


@contextmanager
def _quiet_on_interrupt() -> Iterator[None]:
    """Ctrl-C ends the command with the shell's status for it and no traceback. uvicorn stops
    gracefully on SIGINT and then raises it again, and click would print "Aborted!" for it."""
    try:
        yield
    except KeyboardInterrupt:
        sys.exit(128 + signal.SIGINT)


def _require_credentials() -> None:
    try:
        get_settings().require_credentials()
        get_settings().require_production_backends()
    except UnusableSettings as exc:
        raise click.UsageError(str(exc)) from exc


if __name__ == "__main__":
    main()
