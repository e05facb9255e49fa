"""Log hygiene: production logs are JSON lines, tracebacks are plain text without local variables, and
the client secret never reaches a log, whatever a client sends. Checked in-process with a route that
fails while its frame holds the secret, and against a live `dangol web` given the request that once
wrote the secret to its log."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from asgi_lifespan import LifespanManager

from app.core.logging import configure_logging
from app.http.main import create_app
from tests.conftest import API_SECRET, APP_URL
from tests.factories import SHOP, proxy_query
from tests.processes import free_port, stop, worker_env


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


async def _fail_holding_the_secret(settings, services, capfd) -> str:
    application = create_app(settings, services)

    @application.get("/fails-on-purpose")
    async def fails_on_purpose() -> None:
        client_secret = settings.shopify_api_secret.get_secret_value()
        raise RuntimeError(f"failed with a secret of {len(client_secret)} bytes in scope")

    services.app_holder["app"] = application
    async with (
        LifespanManager(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(application, raise_app_exceptions=False), base_url=APP_URL
        ) as client,
    ):
        response = await client.get("/fails-on-purpose")
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    return capfd.readouterr().err


async def test_a_failing_request_logs_one_json_line_with_a_plain_traceback_and_no_secret(
    settings, services, capfd, restored_logging
):
    # given production logging
    configure_logging("json")
    # when a request fails inside a frame whose locals hold the client secret
    logged = await _fail_holding_the_secret(settings, services, capfd)
    # then every line is a JSON object, the failure is there with its traceback, and the secret is not
    records = [json.loads(line) for line in logged.splitlines() if line.strip()]
    [failure] = [r for r in records if r.get("event") == "http.unhandled"]
    assert failure["level"] == "error"
    assert "Traceback" in failure["exception"]
    assert "fails_on_purpose" in failure["exception"]
    assert API_SECRET not in logged
    assert "client_secret =" not in logged


async def test_the_console_format_prints_no_locals_either(settings, services, capfd, restored_logging):
    # given the console format `dangol dev` uses
    configure_logging("console")
    # when
    logged = await _fail_holding_the_secret(settings, services, capfd)
    # then
    assert "http.unhandled" in logged
    assert "Traceback" in logged
    assert API_SECRET not in logged


def _raw_request(port: int, request_line: str, headers: dict[str, str]) -> bytes:
    """Headers only: a client announcing a body it never sends. The answer must not wait for it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        lines = [f"{request_line} HTTP/1.1", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in headers.items())]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return sock.recv(4096)


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(log.read_text(errors="replace"))


@pytest.mark.slow
def test_a_live_server_refuses_hostile_requests_and_keeps_its_log_clean(settings, tmp_path):
    # given `dangol web` as production runs it (JSON logs by default)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = worker_env(settings, APP_URL=base, DANGOL_ENV="development")
    env.pop("DANGOL_LOG_FORMAT", None)
    log = tmp_path / "web.log"
    with log.open("wb") as handle:
        web = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "web", "--port", str(port)], env=env, stdout=handle, stderr=handle
        )
    try:
        _wait_healthy(base, web, log)
        # when the review's probes are sent: a signature that is not hex (it once answered 500 and
        # printed the secret), repeated signed parameters, a foreign Host, an oversized declared body
        probes = [
            httpx.get(f"{base}/proxy/me.json?{proxy_query(shop=SHOP, customer_id=1)[:-64]}%C3%A9"),
            httpx.get(f"{base}/proxy/me.json?{proxy_query(shop=SHOP, customer_id=1)}&logged_in_customer_id=2"),
            httpx.get(f"{base}/admin", headers={"Host": "evil.example"}),
        ]
        declared_200_mb = _raw_request(port, "PUT /admin/api/program", {"Content-Length": str(200 * 1024 * 1024)})
    finally:
        stop(web)
    # then each is a 4xx in the contract's shape
    assert [p.status_code for p in probes] == [401, 401, 400]
    assert all(set(p.json()) >= {"error", "detail"} for p in probes)
    assert declared_200_mb.startswith(b"HTTP/1.1 413"), declared_200_mb[:200]
    # and the log is JSON lines without the secret
    text = log.read_text(errors="replace")
    assert API_SECRET not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines
    assert all(isinstance(json.loads(line), dict) for line in lines), text[-2000:]
