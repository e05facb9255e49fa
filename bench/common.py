"""Shared pieces of the benchmarks: throwaway databases, servers, a realistic order body, load."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx

from app.core.clock import utcnow
from app.devstore.payloads import order_payload
from app.devstore.state import DevCustomer, DevLine, DevOrder, DevShop
from app.migrate import scratch_database

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SHOP = "bench-shop.myshopify.com"
API_KEY = "bench-client-id"
API_SECRET = "bench-client-secret-of-thirty-two-bytes"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_database(server_url: str | None, directory: Path) -> Iterator[str]:
    """A new, migrated database: on the PostgreSQL server given, else a SQLite file."""
    with scratch_database(server_url, directory, "bench") as url:
        yield url


def order_body(order_id: int, customer_id: int, subtotal: str = "86.40", lines: int = 8) -> bytes:
    """A realistic ~10 KB orders/paid body (real ones are 10-15 KB), built by the dev store."""
    now = utcnow()
    customer = DevCustomer(id=customer_id, first_name="Bench", last_name="Shopper", email="bench@example.com")
    per_line = (Decimal(subtotal) / lines).quantize(Decimal("0.01"))
    order = DevOrder(
        id=order_id,
        number=1000 + order_id % 100000,
        customer_id=customer_id,
        lines=[
            DevLine(title=f"Product {n} — a long descriptive title, size M, colour ocean blue", price=per_line)
            for n in range(lines)
        ],
        currency="USD",
        financial_status="paid",
        created_at=now,
        processed_at=now,
        updated_at=now,
    )
    payload = order_payload(DevShop(domain=SHOP, id=1, name="Bench", customers={customer_id: customer}), order)
    address = {
        "first_name": "Bench",
        "last_name": "Shopper",
        "address1": "1 Market St",
        "city": "San Francisco",
        "province": "California",
        "country": "United States",
        "zip": "94105",
        "phone": "+1 555 0100",
    }
    payload |= {
        "billing_address": address,
        "shipping_address": address,
        "note_attributes": [],
        "client_details": {"browser_ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (bench) " * 4},
        "shipping_lines": [{"title": "Standard", "price": "5.00", "code": "STANDARD"}],
    }
    for item in payload["line_items"]:
        item |= {
            "sku": f"SKU-{item['id']}",
            "vendor": "Dangol Bench Co.",
            "requires_shipping": True,
            "taxable": True,
            "gift_card": False,
            "grams": 300,
            "fulfillment_service": "manual",
            "properties": [{"name": "engraving", "value": "for a regular customer"}],
            "tax_lines": [{"title": "State tax", "price": "0.00", "rate": 0.0}],
            "discount_allocations": [],
        }
    return json.dumps(payload, separators=(",", ":")).encode()


def raw_request(body: bytes, signature: str, webhook_id: str) -> bytes:
    """An orders/paid delivery as bytes on the wire, signed as Shopify signs it."""
    head = (
        "POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Shopify-Topic: orders/paid\r\nX-Shopify-Hmac-Sha256: {signature}\r\nX-Shopify-Shop-Domain: {SHOP}\r\n"
        f"X-Shopify-API-Version: 2026-04\r\nX-Shopify-Webhook-Id: {webhook_id}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def server_env(database_url: str, redis_url: str | None, var_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SHOPIFY_API_KEY": API_KEY,
            "SHOPIFY_API_SECRET": API_SECRET,
            "DATABASE_URL": database_url,
            "VAR_DIR": str(var_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    env.update(extra)
    return env


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    with log.open("wb") as handle:
        process = subprocess.Popen(command, env=env, stdout=handle, stderr=handle, cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    httpx.get(f"{base}/docs", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            else:
                raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")
            yield base
        finally:
            process.terminate()
            process.wait(timeout=15)


def app_server_command(port: int) -> list[str]:
    return [sys.executable, "-m", "app.cli", "web", "--port", str(port)]


def bare_server_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare_app:app",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


@dataclass
class LatencyRun:
    rate: int
    seconds: float
    sent: int
    ok: int
    latencies_ms: list[float]

    def summary(self) -> dict[str, float]:
        values = self.latencies_ms
        return {
            "rate": self.rate,
            "sent": self.sent,
            "ok": self.ok,
            "p50_ms": round(percentile(values, 50), 2),
            "p90_ms": round(percentile(values, 90), 2),
            "p99_ms": round(percentile(values, 99), 2),
            "max_ms": round(max(values), 2),
            "mean_ms": round(statistics.fmean(values), 2),
        }


async def constant_rate(
    port: int, make_request: Callable[[int], bytes], *, rate: int, seconds: float, connections: int = 32
) -> LatencyRun:
    """Open-loop load: request i is due at start + i/rate whatever happened before, and its latency
    counts from when it was due, so a stall shows up in the tail instead of slowing the sender."""
    total = int(rate * seconds)
    queue: asyncio.Queue[tuple[int, float]] = asyncio.Queue()
    latencies: list[float] = []
    ok = 0

    async def connection() -> None:
        nonlocal ok
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                index, due = await queue.get()
                if index < 0:
                    return
                writer.write(make_request(index))
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if length:
                    await reader.readexactly(length)
                latencies.append((time.perf_counter() - due) * 1000)
                if head.startswith(b"HTTP/1.1 200"):
                    ok += 1
        finally:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    start = time.perf_counter() + 0.2
    for index in range(total):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((index, due))
    for _ in workers:
        queue.put_nowait((-1, 0.0))
    await asyncio.gather(*workers)
    return LatencyRun(rate=rate, seconds=seconds, sent=total, ok=ok, latencies_ms=latencies)


def write_result(name: str, result: dict[str, object]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
