"""Benchmark: orders processed per second by one `dangol worker` on PostgreSQL, next to the same award
transaction run straight against PostgreSQL by 8 clients (pgbench: no app, no queue), in one run.

    python -m bench.worker_throughput [--orders 20000] [--customers 2000] [--post-rate 2500]

End to end (the headline): `dangol web` and one `dangol worker` run; N signed orders/paid webhooks
(~10 KB bodies, each a distinct order) are posted over HTTP at a steady rate above what one worker
takes, and the rate is N over the time from the first post to the last ledger entry written.
Web, worker, PostgreSQL and the load generator share the machine's cores, as they would on one box.
Drain (the worker alone): the same N deliveries are put in the inbox while no worker runs; then one
worker starts, timed from its first processed row to its last (process start-up excluded).
Both runs must end with exactly one earn entry per order, or the benchmark fails.
Raw: pgbench, 8 clients, one order per transaction, the statements the award needs (upsert and
lock the order, upsert and lock the member, append the entry, move the balance, record the earn,
sum the spend for the tier, keep the member's spend, keep the order, its lines and its customer for
the CRM), against a fresh copy of the same schema.
Each of the three starts from the same shop history (100,000 orders from 20,000 customers, their
entries and processed deliveries, statistics analyzed), so all three measure a shop in steady state.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.core.clock import utcnow
from app.core.db import Database, sync_url
from app.devstore.signing import webhook_hmac
from app.shops.models import Shop
from bench.common import (
    API_SECRET,
    DEFAULT_PG,
    SHOP,
    app_server_command,
    constant_rate,
    free_port,
    fresh_database,
    order_body,
    raw_request,
    server,
    server_env,
    write_result,
)
from loyalty import service as loyalty_service
from loyalty.models import LedgerEntry
from webhooks.envelope import Envelope
from webhooks.inbox import insert_rows, row_values
from webhooks.models import WebhookInbox

AWARD_SQL = """
\\set oid random(1, 9000000000000)
\\set cid {first_customer} + random(0, {customers} - 1)
BEGIN;
INSERT INTO loyalty_orders (shop_id, order_id, refunded_subtotal, points_earned, points_reversed, paid, cancelled, test)
  VALUES (1, :oid, 0, 0, 0, false, false, false) ON CONFLICT DO NOTHING;
SELECT id, points_earned, earned_at FROM loyalty_orders WHERE shop_id = 1 AND order_id = :oid FOR UPDATE;
INSERT INTO loyalty_members (shop_id, customer_id, points_balance, tier_name, spend, created_at, updated_at)
  VALUES (1, :cid, 0, 'Member', 0, now(), now()) ON CONFLICT DO NOTHING;
SELECT id, points_balance, tier_name FROM loyalty_members WHERE shop_id = 1 AND customer_id = :cid FOR UPDATE;
INSERT INTO loyalty_ledger_entries (shop_id, member_id, delta, kind, reason, idempotency_key, order_id, rate,
                                    multiplier, created_at)
  SELECT 1, id, 86, 'earn', 'Order', 'earn:order:' || :oid, :oid, 1, 1, now()
  FROM loyalty_members WHERE shop_id = 1 AND customer_id = :cid
  ON CONFLICT DO NOTHING RETURNING idempotency_key;
UPDATE loyalty_members SET points_balance = points_balance + 86, updated_at = now()
  WHERE shop_id = 1 AND customer_id = :cid;
UPDATE loyalty_members SET spend = spend + 86.40 WHERE shop_id = 1 AND customer_id = :cid;
INSERT INTO crm_orders (shop_id, order_id, name, customer_id, email, currency, subtotal, total, financial_status,
                        cancelled, test, discount_codes, landing_site, note_attributes, source_name, processed_at,
                        shopify_updated_at)
  VALUES (1, :oid, '#B', :cid, 'bench@example.com', 'USD', 86.40, 86.40, 'paid', false, false, '[]', '/', '[]',
          'web', now(), now())
  ON CONFLICT (shop_id, order_id) DO UPDATE SET financial_status = excluded.financial_status,
    shopify_updated_at = excluded.shopify_updated_at
  WHERE crm_orders.shopify_updated_at IS NULL OR excluded.shopify_updated_at >= crm_orders.shopify_updated_at;
INSERT INTO crm_order_lines (shop_id, order_id, line_id, product_id, variant_id, title, vendor, sku, quantity, price,
                             gift_card)
  SELECT 1, :oid, :oid::bigint * 10 + k, 500 + k, 600 + k, 'Product ' || k, 'Bench', 'SKU-' || k, 1, 10.80, false
  FROM generate_series(1, 8) k
  ON CONFLICT (shop_id, line_id) DO UPDATE SET quantity = excluded.quantity, price = excluded.price;
INSERT INTO crm_customers (shop_id, customer_id, email, first_name, last_name, state, addresses, search_text,
                           shopify_updated_at, recorded_at)
  VALUES (1, :cid, 'bench@example.com', 'Bench', 'Shopper', 'enabled', '[]', 'bench@example.com bench shopper',
          now(), now())
  ON CONFLICT (shop_id, customer_id) DO UPDATE SET email = excluded.email,
    shopify_updated_at = excluded.shopify_updated_at
  WHERE crm_customers.shopify_updated_at IS NULL OR excluded.shopify_updated_at >= crm_customers.shopify_updated_at;
UPDATE loyalty_orders SET customer_id = :cid, subtotal = 86.40, currency = 'USD', paid = true, points_earned = 86,
  earned_at = now(), processed_at = now(), shopify_updated_at = now() WHERE shop_id = 1 AND order_id = :oid;
SELECT sum(subtotal - refunded_subtotal) FROM loyalty_orders
  WHERE shop_id = 1 AND customer_id = :cid AND paid AND NOT cancelled AND NOT test;
COMMIT;
"""


# A shop that has been running for a while: history for shop 1 (orders, members, their entries,
# processed deliveries) and current planner statistics. Against empty tables that grow by thousands
# of rows a second the planner's statistics are stale within a second (autovacuum analyzes about once
# a minute), it picks whole-shop scans, and the benchmark would measure that rather than steady state.
HISTORY_SQL = """
INSERT INTO loyalty_members (shop_id, customer_id, points_balance, tier_name, spend, created_at, updated_at)
  SELECT 1, {first_customer} + g, 150, 'Member', 150, now() - interval '1 year', now() - interval '1 year'
  FROM generate_series(0, {customers} - 1) g;
INSERT INTO loyalty_orders (shop_id, order_id, order_gid, name, customer_id, subtotal, currency, processed_at,
                            shopify_updated_at, paid, cancelled, test, refunded_subtotal, points_earned,
                            points_reversed, earned_at)
  SELECT 1, {first_order} + g, 'gid://shopify/Order/' || ({first_order} + g), '#H' || g,
         {first_customer} + g % {customers}, 30.00, 'USD', now() - (g % 300) * interval '1 day',
         now() - (g % 300) * interval '1 day', true, false, false, 0, 30, 0, now() - (g % 300) * interval '1 day'
  FROM generate_series(0, {orders} - 1) g;
INSERT INTO loyalty_ledger_entries (shop_id, member_id, delta, kind, reason, idempotency_key, order_id, rate,
                                    multiplier, created_at)
  SELECT 1, m.id, 30, 'earn', 'Order ' || o.name, 'earn:order:' || o.order_id, o.order_id, 1, 1, o.earned_at
  FROM loyalty_orders o JOIN loyalty_members m ON m.shop_id = 1 AND m.customer_id = o.customer_id;
INSERT INTO webhook_inbox (shop_domain, topic, webhook_id, source, body, received_at, status, attempts,
                           next_attempt_at, processed_at, shop_id, customer_id, order_id)
  SELECT '{shop}', 'orders/paid', 'history-' || o.order_id, 'webhook', '\\x7b7d', o.earned_at, 'processed', 1,
         o.earned_at, o.earned_at, 1, o.customer_id, o.order_id
  FROM loyalty_orders o;
ANALYZE;
"""
HISTORY_ORDERS = 100_000
HISTORY_CUSTOMERS = 20_000
FIRST_HISTORY_ORDER = 4_000_000_000_000
FIRST_CUSTOMER = 9_000_000_000_000


def seed_history(database_url: str) -> None:
    """Shop 1's history, in which the benchmark's customers are among the regulars."""
    sql = HISTORY_SQL.format(
        first_customer=FIRST_CUSTOMER,
        customers=HISTORY_CUSTOMERS,
        first_order=FIRST_HISTORY_ORDER,
        orders=HISTORY_ORDERS,
        shop=SHOP,
    )
    engine = create_engine(sync_url(database_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in sql.split(";\n"):
            if statement.strip():
                conn.execute(text(statement))
    engine.dispose()


@contextmanager
def shop_with_history(server_url: str, work: Path) -> Iterator[str]:
    """A fresh database holding the benchmark's shop, its program and its history: each run starts here."""
    with fresh_database(server_url, work) as database_url:
        db = Database(database_url)
        asyncio.run(prepare_shop(db))
        asyncio.run(db.dispose())
        seed_history(database_url)
        yield database_url


async def prepare_shop(db: Database) -> None:
    async with db.unit_of_work() as session:
        session.add(Shop(id=1, domain=SHOP, name="Bench", currency="USD", iana_timezone="UTC"))
        await session.flush()
        await loyalty_service.ensure_program(session, 1)


REDIS = "redis://127.0.0.1:6379/0"
FIRST_BENCH_ORDER = 5_000_000_000_000
DEADLINE_SECONDS = 600


def bodies(orders: int, customers: int) -> list[bytes]:
    return [
        order_body(order_id=FIRST_BENCH_ORDER + i, customer_id=FIRST_CUSTOMER + i % customers) for i in range(orders)
    ]


async def fill_inbox(db: Database, payloads: list[bytes]) -> None:
    now = utcnow()
    rows = [
        row_values(Envelope(SHOP, "orders/paid", f"bench-{i}", "2026-04", None, None), body, now)
        for i, body in enumerate(payloads)
    ]
    for start in range(0, len(rows), 1000):
        async with db.engine.begin() as conn:
            await insert_rows(conn, rows[start : start + 1000])


@contextmanager
def worker_process(env: dict[str, str], log: Path) -> Iterator[None]:
    with log.open("wb") as handle:
        worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=env, stdout=handle, stderr=handle)
        try:
            yield
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def wait_for_entries(engine: Engine, orders: int) -> None:
    """Until every order has its ledger entry; a benchmark that times out or over-credits fails."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        with engine.connect() as conn:
            entries = conn.execute(
                select(func.count()).select_from(LedgerEntry).where(LedgerEntry.order_id >= FIRST_BENCH_ORDER)
            ).scalar_one()
        if entries > orders:
            raise SystemExit(f"{entries} ledger entries for {orders} orders: something credited twice")
        if entries == orders:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"only {entries} of {orders} orders credited after {DEADLINE_SECONDS} s")
        time.sleep(0.05)


def run_end_to_end(database_url: str, work: Path, payloads: list[bytes], post_rate: int) -> dict[str, float]:
    wire = [raw_request(body, webhook_hmac(body, API_SECRET), f"e2e-{i}") for i, body in enumerate(payloads)]
    env = server_env(database_url, REDIS, work / "var")
    engine = create_engine(sync_url(database_url))
    port = free_port()
    with server(app_server_command(port), env, port, work / "web.log"), worker_process(env, work / "worker-e2e.log"):
        time.sleep(3)  # the worker's start-up, which a running deployment has long behind it
        started = time.perf_counter()
        posted = asyncio.run(
            constant_rate(port, wire.__getitem__, rate=post_rate, seconds=len(wire) / post_rate, connections=16)
        )
        posting = time.perf_counter() - started
        if posted.ok != len(wire):
            raise SystemExit(f"only {posted.ok} of {len(wire)} webhooks acknowledged")
        wait_for_entries(engine, len(wire))
        seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "orders": len(wire),
        "post_rate": post_rate,
        "posting_seconds": round(posting, 3),
        "seconds": round(seconds, 3),
        "orders_per_second": round(len(wire) / seconds, 1),
    }


def run_drain(database_url: str, work: Path, payloads: list[bytes]) -> dict[str, float]:
    env = server_env(database_url, REDIS, work / "var")
    engine = create_engine(sync_url(database_url))
    with worker_process(env, work / "worker-drain.log"):
        wait_for_entries(engine, len(payloads))
    with engine.connect() as conn:
        timed = WebhookInbox.webhook_id.like("bench-%")
        span = select(func.min(WebhookInbox.processed_at), func.max(WebhookInbox.processed_at)).where(timed)
        first, last = conn.execute(span).one()
        batches = conn.execute(select(func.count(func.distinct(WebhookInbox.processed_at))).where(timed)).scalar_one()
    engine.dispose()
    seconds = (last - first).total_seconds()
    # The first batch's own duration is not in (last - first): count it as one average batch.
    seconds += seconds / max(1, batches - 1)
    return {
        "orders": len(payloads),
        "seconds": round(seconds, 3),
        "batches": batches,
        "orders_per_second": round(len(payloads) / seconds, 1),
    }


def run_raw(database_url: str, work: Path, customers: int, seconds: int) -> dict[str, float]:
    script = work / "award.sql"
    script.write_text(AWARD_SQL.format(customers=customers, first_customer=FIRST_CUSTOMER))
    url = make_url(sync_url(database_url))
    finished = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            "8",
            "-j",
            "2",
            "-T",
            str(seconds),
            "-f",
            str(script),
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            url.database or "postgres",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise SystemExit(f"pgbench failed:\n{finished.stderr[-2000:]}")
    out = finished.stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))  # type: ignore[union-attr]
    return {"clients": 8, "transactions_per_second": tps, "latency_average_ms": latency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=DEFAULT_PG, help="PostgreSQL server URL")
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--raw-seconds", type=int, default=15)
    parser.add_argument("--post-rate", type=int, default=2500, help="webhooks posted per second, end to end")
    args = parser.parse_args()
    payloads = bodies(args.orders, args.customers)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with shop_with_history(args.database, work) as database_url:
            end_to_end = run_end_to_end(database_url, work, payloads, args.post_rate)
        with shop_with_history(args.database, work) as database_url:
            db = Database(database_url)
            asyncio.run(fill_inbox(db, payloads))
            asyncio.run(db.dispose())
            drain = run_drain(database_url, work, payloads)
        with shop_with_history(args.database, work) as database_url:
            raw = run_raw(database_url, work, args.customers, args.raw_seconds)
    tps = raw["transactions_per_second"]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "end_to_end": end_to_end,
        "worker_drain": drain,
        "raw_pgbench": raw,
        "ratio": round(end_to_end["orders_per_second"] / tps, 3),
        "drain_ratio": round(drain["orders_per_second"] / tps, 3),
    }
    path = write_result("worker_throughput-postgresql", result)
    print(
        f"end to end (posted → entry written), one worker: {end_to_end['orders_per_second']:.0f} orders/s "
        f"({end_to_end['orders']} orders in {end_to_end['seconds']} s, posted at {args.post_rate}/s)"
    )
    print(
        f"worker alone, draining a full inbox: {drain['orders_per_second']:.0f} orders/s ({drain['batches']} batches)"
    )
    print(f"raw award transaction, 8 pgbench clients: {tps:.0f} tps")
    print(f"ratio {result['ratio']:.2f}× end to end, {result['drain_ratio']:.2f}× draining; saved {path}")


if __name__ == "__main__":
    main()
