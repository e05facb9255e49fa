"""Benchmark: webhook acknowledgements per second and latency, Dangol's POST /webhooks next to a bare
FastAPI endpoint, each on one uvicorn worker, in the same run.

    python -m bench.webhook_ack                      # PostgreSQL at 127.0.0.1:5432 + Redis at :6379
    python -m bench.webhook_ack --sqlite             # SQLite + embedded Redis

Throughput: wrk, one thread, 64 connections, every request a distinct delivery (unique
X-Shopify-Webhook-Id) of a ~10 KB orders/paid body. Latency: an open-loop generator at a fixed rate
(1,000/s by default), latency counted from when each request was due. After the run, the inbox must
hold exactly one row per acknowledged delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select

from app.core.db import sync_url
from app.devstore.signing import webhook_hmac
from bench.common import (
    API_SECRET,
    DEFAULT_PG,
    SHOP,
    app_server_command,
    bare_server_command,
    constant_rate,
    free_port,
    fresh_database,
    order_body,
    raw_request,
    server,
    server_env,
    write_result,
)
from webhooks.models import WebhookInbox

CONNECTIONS = int(__import__("os").environ.get("BENCH_CONNECTIONS", "64"))

WRK_SCRIPT = """
local body_file = io.open(os.getenv("BENCH_BODY"), "rb")
local body = body_file:read("*a")
body_file:close()
local counter = 0
local prefix = os.getenv("BENCH_PREFIX")
request = function()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["X-Shopify-Topic"] = "orders/paid"
  headers["X-Shopify-Hmac-Sha256"] = os.getenv("BENCH_HMAC")
  headers["X-Shopify-Shop-Domain"] = os.getenv("BENCH_SHOP")
  headers["X-Shopify-API-Version"] = "2026-04"
  headers["X-Shopify-Webhook-Id"] = prefix .. counter
  return wrk.format("POST", "/webhooks", headers, body)
end
"""


def wrk(base: str, script: Path, body_file: Path, signature: str, prefix: str, seconds: int) -> dict[str, float]:
    env = {
        "BENCH_BODY": str(body_file),
        "BENCH_HMAC": signature,
        "BENCH_SHOP": SHOP,
        "BENCH_PREFIX": prefix,
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_per_second": rps, "requests": total, "non_2xx": int(errors.group(1)) if errors else 0}


def measure(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    work: Path,
    body: bytes,
    signature: str,
    seconds: int,
    rate: int,
) -> dict[str, object]:
    body_file = work / "body.json"
    body_file.write_bytes(body)
    script = work / "webhooks.lua"
    script.write_text(WRK_SCRIPT)
    with server(command, env, port, work / f"{name}.log") as base:
        warm = wrk(base, script, body_file, signature, f"{name}-warm-", 2)
        throughput = wrk(base, script, body_file, signature, f"{name}-tp-", seconds)
        latency = asyncio.run(
            constant_rate(port, lambda i: raw_request(body, signature, f"{name}-lat-{i}"), rate=rate, seconds=seconds)
        )
    acknowledged = sum(run["requests"] - run["non_2xx"] for run in (warm, throughput)) + latency.ok
    return {"throughput": throughput, "latency": latency.summary(), "acknowledged": acknowledged}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", action="store_true", help="SQLite + embedded Redis instead of PostgreSQL")
    parser.add_argument("--database", default=DEFAULT_PG, help="PostgreSQL server URL")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis URL")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=1000, help="requests per second for the latency run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench.webhook_ack drives its load with wrk: apt-get install wrk (or brew install wrk)")

    body = order_body(order_id=820982911946154508, customer_id=9_100_000_000_000_001)
    signature = webhook_hmac(body, API_SECRET)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with fresh_database(None if args.sqlite else args.database, work) as database_url:
            redis_url = None if args.sqlite else args.redis
            env = server_env(database_url, redis_url, work / "var")
            runs = {}
            for name, command in (("bare", bare_server_command), ("dangol", app_server_command)):
                port = free_port()
                runs[name] = measure(name, command(port), env, port, work, body, signature, args.seconds, args.rate)
            bare, dangol = runs["bare"], runs["dangol"]
            engine = create_engine(sync_url(database_url))
            with engine.connect() as conn:
                rows = conn.execute(select(func.count()).select_from(WebhookInbox)).scalar_one()
            engine.dispose()

    acked = int(dangol["acknowledged"])  # type: ignore[call-overload]
    ratio = dangol["throughput"]["requests_per_second"] / bare["throughput"]["requests_per_second"]  # type: ignore[index]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "backend": "sqlite+embedded-redis" if args.sqlite else "postgresql+redis",
        "body_bytes": len(body),
        "bare": bare,
        "dangol": dangol,
        "throughput_ratio": round(ratio, 3),
        "inbox_rows": rows,
        "acknowledged": acked,
        # wrk does not count requests still in flight when it stops; those may be stored too.
        "acknowledged_but_missing": max(0, acked - rows),  # noqa: RUF100
    }
    path = write_result(f"webhook_ack-{'sqlite' if args.sqlite else 'postgresql'}", result)
    print(f"body {len(body)} bytes, backend {result['backend']}")
    for name, run in (("bare FastAPI", bare), ("Dangol /webhooks", dangol)):
        tp, lat = run["throughput"], run["latency"]  # type: ignore[index]
        print(
            f"{name:18} {tp['requests_per_second']:8.0f} req/s (wrk, 64 conns)  "  # type: ignore[index]
            f"at {lat['rate']}/s: p50 {lat['p50_ms']} ms  p99 {lat['p99_ms']} ms  max {lat['max_ms']} ms"
        )  # type: ignore[index]
    missing = max(0, acked - rows)
    print(f"throughput ratio {ratio:.2f}×; inbox rows {rows} for {acked} acknowledged (missing: {missing})")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
