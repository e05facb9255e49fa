"""Benchmark: the storefront's reads, the cheapest thing the app must do, next to a bare FastAPI GET in
the same run, and the admin's customers list at any page depth.

    python -m bench.storefront [--members 100000] [--entries-per-member 10] [--rate 300] [--seconds 20]

A shop of 100,000 members and 1,000,000 ledger entries (with names and emails for half of them, and
referral codes recorded for half) is built on PostgreSQL. One `dangol web` process serves
`/proxy/me.json` and `/proxy` to an open-loop client at a fixed rate (each request a different shopper,
correctly signed as Shopify's app proxy signs it); the same client then loads a bare endpoint on one
uvicorn worker. Latency counts from when each request was due. The customers list is timed in-process
(server time: the query and its page) for each sort, a search and a tier filter, on the first page and
at depth (a cursor 50,000 members in).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

from app.core.db import Database, sync_url
from app.devstore.signing import app_proxy_signature
from bench.common import (
    API_SECRET,
    DEFAULT_PG,
    SHOP,
    app_server_command,
    bare_server_command,
    constant_rate,
    free_port,
    fresh_database,
    server,
    server_env,
    write_result,
)
from crm import directory
from loyalty.program import DEFAULT_PROGRAM_DOCUMENT

FIRST_CUSTOMER = 7_000_000_000_000

SHOP_SQL = """
INSERT INTO shops (id, domain, name, currency, iana_timezone, scopes, installed_at, referral_key)
  VALUES (1, :domain, 'Bench', 'USD', 'UTC', '', now(), :key);
INSERT INTO loyalty_programs (shop_id, document, updated_at, reviewed_at) VALUES (1, :program, now(), now());
"""
MEMBERS_SQL = """
INSERT INTO loyalty_members (shop_id, customer_id, points_balance, tier_name, spend, created_at, updated_at)
  SELECT 1, {first} + g, (g * 37) %% 5000, 'Member', (g * 13) %% 900, now(), now()
  FROM generate_series(0, {members} - 1) g;
INSERT INTO loyalty_ledger_entries (shop_id, member_id, delta, kind, reason, idempotency_key, order_id, created_at)
  SELECT 1, m.id, 10, 'earn', 'Order #' || k, 'earn:order:' || (m.customer_id * 16 + k), m.customer_id * 16 + k,
         now() - k * interval '1 day'
  FROM loyalty_members m, generate_series(1, {entries}) k;
INSERT INTO crm_customers (shop_id, customer_id, email, first_name, last_name, state, addresses, search_text,
                           recorded_at)
  SELECT 1, {first} + g, 'shopper' || g || '@example.com', 'Shopper' || g, 'Kim', 'enabled', '[]',
         lower('shopper' || g || '@example.com Shopper' || g || ' Kim'), now()
  FROM generate_series(0, {members} - 1, 2) g;
INSERT INTO referral_codes (shop_id, customer_id, code, created_at)
  SELECT 1, {first} + g, 'C' || lpad(g::text, 9, '0'), now() FROM generate_series(1, {members} - 1, 2) g;
ANALYZE;
"""


def build_shop(database_url: str, members: int, entries: int) -> None:
    import json
    import secrets

    engine = create_engine(sync_url(database_url))
    with engine.begin() as conn:
        for statement in SHOP_SQL.strip().split(";\n"):
            conn.execute(
                text(statement),
                {"domain": SHOP, "key": secrets.token_hex(32), "program": json.dumps(DEFAULT_PROGRAM_DOCUMENT)},
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(MEMBERS_SQL.format(first=FIRST_CUSTOMER, members=members, entries=entries))
    engine.dispose()


def proxy_request(path: str, members: int):  # type: ignore[no-untyped-def]
    def make(index: int) -> bytes:
        customer = FIRST_CUSTOMER + (index * 7919) % members
        params = {
            "shop": SHOP,
            "logged_in_customer_id": str(customer),
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(time.time())),
        }
        params["signature"] = app_proxy_signature(params, API_SECRET)
        return f"GET {path}?{urlencode(params)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()

    return make


def bare_request(index: int) -> bytes:
    return b"GET /bare HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def time_listing(database_url: str, members: int, repeats: int = 15) -> dict[str, dict[str, float]]:
    """Server time of the customers list: milliseconds per call (median and worst of `repeats`)."""
    db = Database(database_url)
    deep = FIRST_CUSTOMER + members // 2
    async with db.sessions() as session:
        row = (
            await session.execute(
                text("SELECT id, points_balance, spend FROM loyalty_members WHERE shop_id = 1 AND customer_id = :c"),
                {"c": deep},
            )
        ).one()
    cases: dict[str, dict[str, object]] = {
        "points, first page": {"sort": "points"},
        "points, 50,000 in": {"sort": "points", "after": directory.encode_cursor("points", row.points_balance, row.id)},
        "spend, first page": {"sort": "spend"},
        "spend, 50,000 in": {"sort": "spend", "after": directory.encode_cursor("spend", row.spend, row.id)},
        "tier (Silver), first page": {"sort": "tier", "spend_band": (200, 500)},
        "tier (Silver), 50,000 in": {
            "sort": "tier",
            "spend_band": (200, 500),
            "after": directory.encode_cursor("tier", row.spend, row.id),
        },
        "search 'shopper4242'": {"query": "shopper4242"},
        "search 'kim' (half match)": {"query": "kim"},
        "search 'example.com', 50,000 in": {
            "query": "example.com",
            "after": directory.encode_cursor("points", row.points_balance, row.id),
        },
    }
    timings: dict[str, dict[str, float]] = {}
    for name, arguments in cases.items():
        spent = []
        for _ in range(repeats):
            async with db.sessions() as session:
                started = time.perf_counter()
                await directory.list_members(session, shop_id=1, **arguments)  # type: ignore[arg-type]
                spent.append((time.perf_counter() - started) * 1000)
        timings[name] = {"median_ms": round(statistics.median(spent), 2), "max_ms": round(max(spent), 2)}
    await db.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries-per-member", type=int, default=10)
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--database", default=DEFAULT_PG)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    args = parser.parse_args()
    result: dict[str, object] = {"members": args.members, "entries": args.members * args.entries_per_member}
    with tempfile.TemporaryDirectory() as scratch, fresh_database(args.database, Path(scratch)) as url:
        started = time.perf_counter()
        build_shop(url, args.members, args.entries_per_member)
        result["build_seconds"] = round(time.perf_counter() - started, 1)
        result["customers_list"] = asyncio.run(time_listing(url, args.members))
        env = server_env(url, args.redis, Path(scratch) / "var")
        port = free_port()
        with server(app_server_command(port), env, port, Path(scratch) / "web.log"):
            for path in ("/proxy/me.json", "/proxy"):
                # A first pass warms the program cache and the connection pool.
                asyncio.run(constant_rate(port, proxy_request(path, args.members), rate=args.rate, seconds=2))
                run = asyncio.run(
                    constant_rate(port, proxy_request(path, args.members), rate=args.rate, seconds=args.seconds)
                )
                result[path] = run.summary()
        bare_port = free_port()
        with server(bare_server_command(bare_port), env, bare_port, Path(scratch) / "bare.log"):
            asyncio.run(constant_rate(bare_port, bare_request, rate=args.rate, seconds=2))
            result["bare GET"] = asyncio.run(
                constant_rate(bare_port, bare_request, rate=args.rate, seconds=args.seconds)
            ).summary()
    written = write_result("storefront-postgresql", result)
    print(written.read_text())


if __name__ == "__main__":
    main()
