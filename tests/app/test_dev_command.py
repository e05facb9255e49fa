"""`dangol dev` as a newcomer runs it: everything starts with embedded defaults, it prints its URLs,
a webhook sent with `dangol webhook trigger` is accepted and earns points, and Ctrl-C stops it all."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory

from app.migrate import alembic_config
from tests.processes import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# The console script `pip install -e .` made, as the README's commands run it.
SCRIPT = Path(sys.executable).with_name("dangol")
DANGOL = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "app.cli"]


def _newcomer_env(tmp_path: Path) -> dict[str, str]:
    """Only what a fresh machine has: none of Dangol's settings, and a working folder of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "DATABASE_", "REDIS_", "APP_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    env["HOME"] = str(tmp_path)
    return env


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes], within: float) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        content = log.read_text(errors="replace")
        if text in content:
            return content
        assert process.poll() is None, f"dangol dev exited early:\n{content[-3000:]}"
        time.sleep(0.2)
    raise AssertionError(f"no {text!r} within {within}s:\n{log.read_text(errors='replace')[-3000:]}")


def test_dangol_dev_runs_the_whole_product_and_stops_on_ctrl_c(tmp_path):
    # given an empty working folder and free ports
    port, smtp_port = free_port(), free_port()
    env = _newcomer_env(tmp_path)
    log = tmp_path / "dev.log"
    dev = _start_in_a_terminal([*DANGOL, "dev", "--port", str(port), "--smtp-port", str(smtp_port)], env, log)
    try:
        # when it starts, it prints every URL a newcomer needs
        printed = _wait_for(log, "Press Ctrl-C", dev, within=120)
        base = f"http://127.0.0.1:{port}"
        for url in (f"{base}/devstore/", f"{base}/devstore/mail", f"{base}/healthz", f"{base}/docs"):
            assert url in printed
        assert (tmp_path / "var").is_dir()  # SQLite and the embedded Redis live under var/
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok", "database": "ok", "redis": "ok"}
        landing = re.search(r"Start here .*?(\S+)\n", printed)
        assert landing is not None
        assert landing.group(1) == f"{base}/"
        assert 'href="/devstore/"' in httpx.get(landing.group(1)).text
        shopper_page = re.search(r"A shopper's loyalty page\s+(\S+)", printed)
        assert shopper_page is not None
        page = httpx.get(shopper_page.group(1))
        assert page.status_code == 200
        assert page.headers["content-type"].startswith(("text/html", "application/liquid"))

        # and the contract's trigger command is accepted
        trigger = subprocess.run(
            [*DANGOL, "webhook", "trigger", "--topic", "orders/paid", "--address", f"{base}/webhooks"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert trigger.returncode == 0, trigger.stdout + trigger.stderr
        assert trigger.stdout.startswith("200")

        # and an order placed in the dev store earns its customer points, through the worker
        home = httpx.get(f"{base}/devstore/").text
        customer = re.findall(r"<td>(\d{10,})</td>", home)[0]
        shop = "dangol-demo.myshopify.com"
        placed = httpx.post(
            f"{base}/devstore/shops/{shop}/orders", data={"customer_id": customer, "amount": "57.80", "paid": "true"}
        )
        assert placed.status_code in (200, 303)
        deadline, points = time.monotonic() + 30, 0
        while time.monotonic() < deadline and points == 0:
            me = httpx.get(f"{base}/devstore/shops/{shop}/apps/loyalty/me.json", params={"customer_id": customer})
            points = me.json()["points"]
            time.sleep(0.3)
        assert points == 57
    finally:
        said_before_ctrl_c = len(log.read_bytes())
        _ctrl_c(dev)
    # then everything stopped, quietly, and the port is free again
    _assert_stopped_quietly(log.read_bytes()[said_before_ctrl_c:].decode(errors="replace"))
    # and all along the worker said what it did with the orders, and arq not a line per job
    said = log.read_text(errors="replace")
    assert "webhooks.batch.drained" in said
    assert "[arq.worker]" not in said
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def _start_in_a_terminal(
    command: list[str], env: dict[str, str], log: Path, sigint: Any = signal.SIG_DFL
) -> subprocess.Popen[bytes]:
    """In a process group of its own, as a shell starts a foreground command, with SIGINT's default
    action even when this test runs where SIGINT is ignored (a background job of a script), or
    ignored on purpose (`sigint=signal.SIG_IGN`: as a shell starts a background job)."""
    with log.open("wb") as handle:
        return subprocess.Popen(
            command,
            cwd=log.parent,
            env=env,
            stdout=handle,
            stderr=handle,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, sigint),
        )


def _ctrl_c(process: subprocess.Popen[bytes]) -> None:
    """What a terminal does on Ctrl-C: SIGINT to the whole foreground process group."""
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=30)


def _assert_stopped_quietly(said_after_ctrl_c: str) -> None:
    assert said_after_ctrl_c.rstrip().endswith("Dangol dev: stopped."), said_after_ctrl_c
    for noise in ("Traceback", "KeyboardInterrupt", "CancelledError", "Aborted!", "[uvicorn", "[arq"):
        assert noise not in said_after_ctrl_c, said_after_ctrl_c


@pytest.mark.parametrize(
    "to_whom",
    ["terminal", "process", "background job"],
    ids=["_case=ctrl_c_in_a_terminal", "_case=kill_int_its_pid", "_case=kill_int_a_background_job"],
)
def test_run_py_dev_stops_quietly_on_ctrl_c(tmp_path, to_whom):
    # given `python3 run.py dev` (the README's first command) run with this checkout's environment,
    # keeping its database and var/ in a folder of its own
    env = _newcomer_env(tmp_path) | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dangol.db'}",
        "VAR_DIR": str(tmp_path / "var"),
    }
    log = tmp_path / "run.log"
    command = [sys.executable, str(ROOT / "run.py"), "dev", "--port", str(free_port()), "--smtp-port", str(free_port())]
    ignored = signal.SIG_IGN if to_whom == "background job" else signal.SIG_DFL
    dev = _start_in_a_terminal(command, env, log, sigint=ignored)
    try:
        _wait_for(log, "Press Ctrl-C", dev, within=120)
    finally:
        said_before_ctrl_c = len(log.read_bytes())
        if to_whom == "terminal":
            _ctrl_c(dev)
        else:  # a process manager, or `kill -INT` by hand: the signal reaches run.py's pid only
            dev.send_signal(signal.SIGINT)
            dev.wait(timeout=30)
    # then run.py, dangol dev and its children all stopped, with one line and no traceback
    assert dev.returncode == 0
    _assert_stopped_quietly(log.read_bytes()[said_before_ctrl_c:].decode(errors="replace"))
    assert (tmp_path / "var" / "devstore.json").exists()


def test_dangol_migrate_brings_an_empty_database_to_the_newest_revision(tmp_path):
    # given an empty folder and a SQLite address in it
    env = _newcomer_env(tmp_path) | {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    # when
    done = subprocess.run([*DANGOL, "migrate"], cwd=tmp_path, env=env, capture_output=True, text=True)
    # then the schema is there, at the head revision, and running it again changes nothing
    assert done.returncode == 0, done.stdout + done.stderr
    assert "newest revision" in done.stdout
    again = subprocess.run([*DANGOL, "migrate"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    with sqlite3.connect(tmp_path / "fresh.db") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        (head,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {"shops", "shop_tokens", "webhook_inbox", "loyalty_ledger_entries"} <= tables
    assert head == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
