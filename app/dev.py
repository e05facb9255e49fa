"""`dangol dev`: the whole product on one machine, with embedded defaults and nothing to set up.

SQLite under var/, an embedded Redis, a local SMTP server that keeps mail, the web app with the
local dev store mounted, and a worker; a demo shop is installed through the real OAuth flow.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from app.devstore.demo import DEMO_CUSTOMERS, DEMO_SHOP, DEV_API_KEY, DEV_API_SECRET


def dev_environment(port: int, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    app_url = f"http://127.0.0.1:{port}"
    env.setdefault("SHOPIFY_API_KEY", DEV_API_KEY)
    env.setdefault("SHOPIFY_API_SECRET", DEV_API_SECRET)
    env.setdefault("APP_URL", app_url)
    env.setdefault("SHOPIFY_API_BASE_URL", f"{app_url}/devstore")
    env.setdefault("SMTP_URL", f"smtp://127.0.0.1:{smtp_port}")
    env["DANGOL_DEV_STORE"] = "1"
    env.setdefault("DANGOL_LOG_FORMAT", "console")
    return env


def run_dev(port: int = 8000, smtp_port: int = 1025) -> int:
    """Until Ctrl-C (or SIGTERM, e.g. `kill`): then every child stops and one line says so."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    # Also when started where SIGINT is ignored (a shell's background job, nohup): `kill -INT` stops it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _run_until_stopped(port, smtp_port)
    except KeyboardInterrupt:
        return 0
    finally:
        print("Dangol dev: stopped.", flush=True)


def _run_until_stopped(port: int, smtp_port: int) -> int:
    env = dev_environment(port, smtp_port)
    os.environ.update(env)
    from app.core.config import get_settings
    from app.embedded_redis import embedded_redis_url
    from app.mail.devserver import start_smtp_server
    from app.migrate import upgrade

    get_settings.cache_clear()
    settings = get_settings()
    var = Path(settings.var_dir)
    print("Dangol dev: preparing the database …", flush=True)
    upgrade(settings.database_url)
    if not settings.redis_url:
        env["REDIS_URL"] = embedded_redis_url(var)
    smtp = start_smtp_server(var / "mail", port=smtp_port)
    # uvicorn's start and stop lines would bury the URLs printed below.
    web = [sys.executable, "-m", "app.cli", "web", "--port", str(port), "--server-log-level", "warning"]
    children = {
        "web": subprocess.Popen(web, env=env),
        "worker": subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=env),
    }
    try:
        _wait_healthy(f"{settings.app_url}/healthz")
        shopper = install_demo_shop(settings.app_url, settings.shopify_api_base_url or "")
        _print_urls(settings.app_url, env, smtp_port, shopper)
        while all(child.poll() is None for child in children.values()):
            time.sleep(0.5)
        name, child = next((n, c) for n, c in children.items() if c.poll() is not None)
        print(f"Dangol dev: the {name} process exited ({child.returncode}); stopping the rest.", flush=True)
        return 1
    finally:
        # A second Ctrl-C must not cut this short and leave children running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop(list(children.values()))
        smtp.stop()


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM, not SIGINT: Ctrl-C in a terminal has already sent SIGINT to the whole process group,
    and a second SIGINT makes uvicorn skip the app's shutdown (it means "force quit" there)."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the web process did not become healthy at {url}")


def install_demo_shop(app_url: str, store_url: str) -> int:
    """Install through the real authorization-code flow, as a merchant's click would, and add the demo
    customers. Answers the first demo customer's id. The browser tests (tests/browser/) install the same way."""
    with httpx.Client(timeout=10, follow_redirects=False) as client:
        begin = client.get(f"{app_url}/auth", params={"shop": DEMO_SHOP})
        authorize = urlsplit(begin.headers["location"])
        query = dict(parse_qsl(authorize.query)) | {"shop": DEMO_SHOP}
        approved = client.get(f"{store_url}/admin/oauth/authorize?{urlencode(query)}")
        finished = client.get(approved.headers["location"])
        if finished.status_code != 302:
            raise RuntimeError(f"demo install failed: {finished.status_code} {finished.text}")
        home = client.get(f"{store_url}/")
        for first, last, email in DEMO_CUSTOMERS:
            if email not in home.text:
                client.post(
                    f"{store_url}/shops/{DEMO_SHOP}/customers",
                    data={"first_name": first, "last_name": last, "email": email},
                )
        customers = client.get(f"{store_url}/shops/{DEMO_SHOP}/customers.json").json()
        return int(min(customers, key=lambda c: c["id"])["id"])


def _print_urls(app_url: str, env: dict[str, str], smtp_port: int, shopper: int) -> None:
    store = env["SHOPIFY_API_BASE_URL"]
    print(
        f"""
Dangol is running.

  Start here (links to everything below)  {app_url}/
  Dev store (place orders, watch points)  {store}/
  Dangol in the shop's admin              {store}/admin/apps/{env["SHOPIFY_API_KEY"]}?shop={DEMO_SHOP}
  A shopper's loyalty page                {store}/shops/{DEMO_SHOP}/apps/loyalty/?customer_id={shopper}
  Mail kept by the local SMTP server      {store}/mail   (SMTP on 127.0.0.1:{smtp_port})
  Health                                  {app_url}/healthz
  API docs                                {app_url}/docs
  Send a webhook                          dangol webhook trigger --topic orders/paid --address {app_url}/webhooks

Press Ctrl-C to stop everything.
""",
        flush=True,
    )
