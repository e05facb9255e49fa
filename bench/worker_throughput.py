"""Benchmark: orders processed per second by one `dangol worker` on PostgreSQL, next to the same award
transaction run straight against PostgreSQL by 8 clients (pgbench: no app, no queue), in one run.

    python -m bench.worker_throughput [--orders 20000] [--customers 2000]

Worker: N orders/paid webhooks (~10 KB bodies) are accepted into the inbox while no worker runs;
then one worker process starts, and the rate is N over the time from its first processed row to its
last (process start-up excluded), with every order's earn entry checked afterwards.
Raw: pgbench, 8 clients, one order per transaction, the statements the award needs (upsert and
lock the order, upsert and lock the member, append the entry, move the balance, record the earn,
sum the spend for the tier), against a fresh copy of the same schema.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.core.clock import utcnow
from app.core.db import Database, sync_url
from app.shops.models import Shop
from bench.common import DEFAULT_PG, SHOP, fresh_database, order_body, server_env, write_result
from loyalty import service as loyalty_service
from loyalty.models import LedgerEntry
from webhooks.envelope import Envelope
from webhooks.inbox import insert_rows, row_values
from webhooks.models import WebhookInbox

AWARD_SQL = """
\\set oid random(1, 9000000000000)
\\set cid random(1, {customers})
BEGIN;
INSERT INTO loyalty_orders (shop_id, order_id, refunded_subtotal, points_earned, points_reversed, paid, cancelled, test)
  VALUES (1, :oid, 0, 0, 0, false, false, false) ON CONFLICT DO NOTHING;
SELECT id, points_earned, earned_at FROM loyalty_orders WHERE shop_id = 1 AND order_id = :oid FOR UPDATE;
INSERT INTO loyalty_members (shop_id, customer_id, points_balance, tier_name, created_at, updated_at)
  VALUES (1, :cid, 0, 'Member', now(), now()) ON CONFLICT DO NOTHING;
SELECT id, points_balance, tier_name FROM loyalty_members WHERE shop_id = 1 AND customer_id = :cid FOR UPDATE;
INSERT INTO loyalty_ledger_entries (shop_id, member_id, delta, kind, reason, idempotency_key, order_id, rate,
                                    multiplier, created_at)
  SELECT 1, id, 86, 'earn', 'Order', 'earn:order:' || :oid, :oid, 1, 1, now()
  FROM loyalty_members WHERE shop_id = 1 AND customer_id = :cid
  ON CONFLICT DO NOTHING RETURNING idempotency_key;
UPDATE loyalty_members SET points_balance = points_balance + 86, updated_at = now()
  WHERE shop_id = 1 AND customer_id = :cid;
UPDATE loyalty_orders SET customer_id = :cid, subtotal = 86.40, currency = 'USD', paid = true, points_earned = 86,
  earned_at = now(), processed_at = now(), shopify_updated_at = now() WHERE shop_id = 1 AND order_id = :oid;
SELECT sum(subtotal - refunded_subtotal) FROM loyalty_orders
  WHERE shop_id = 1 AND customer_id = :cid AND paid AND NOT cancelled AND NOT test;
COMMIT;
"""


async def prepare_shop(db: Database) -> None:
    async with db.unit_of_work() as session:
        session.add(Shop(id=1, domain=SHOP, name="Bench", currency="USD", iana_timezone="UTC"))
        await session.flush()
        await loyalty_service.ensure_program(session, 1)


async def fill_inbox(db: Database, orders: int, customers: int) -> None:
    now = utcnow()
    rows = [
        row_values(
            Envelope(SHOP, "orders/paid", f"bench-{i}", "2026-04", None, None),
            order_body(order_id=5_000_000_000_000 + i, customer_id=9_000_000_000_000 + i % customers),
            now,
        )
        for i in range(orders)
    ]
    for start in range(0, len(rows), 1000):
        async with db.engine.begin() as conn:
            await insert_rows(conn, rows[start : start + 1000])


def run_worker_until_done(database_url: str, work: Path, orders: int) -> dict[str, float]:
    env = server_env(database_url, "redis://127.0.0.1:6379/0", work / "var")
    engine = create_engine(sync_url(database_url))
    with (work / "worker.log").open("wb") as log:
        worker = subprocess.Popen(["python", "-m", "app.cli", "worker"], env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                with engine.connect() as conn:
                    done = conn.execute(
                        select(func.count()).select_from(WebhookInbox).where(WebhookInbox.status == "processed")
                    ).scalar_one()
                if done >= orders:
                    break
                time.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    with engine.connect() as conn:
        span = select(func.min(WebhookInbox.processed_at), func.max(WebhookInbox.processed_at))
        first, last = conn.execute(span).one()
        entries = conn.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
        batches = conn.execute(select(func.count(func.distinct(WebhookInbox.processed_at)))).scalar_one()
    engine.dispose()
    seconds = (last - first).total_seconds()
    # The first batch's own duration is not in (last - first): count it as one average batch.
    seconds += seconds / max(1, batches - 1)
    return {
        "orders": orders,
        "entries": entries,
        "seconds": round(seconds, 3),
        "batches": batches,
        "orders_per_second": round(orders / seconds, 1),
    }


def run_raw(database_url: str, work: Path, customers: int, seconds: int) -> dict[str, float]:
    script = work / "award.sql"
    script.write_text(AWARD_SQL.format(customers=customers))
    url = make_url(sync_url(database_url))
    out = subprocess.run(
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
        check=True,
    ).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))  # type: ignore[union-attr]
    return {"clients": 8, "transactions_per_second": tps, "latency_average_ms": latency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=DEFAULT_PG, help="PostgreSQL server URL")
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--raw-seconds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with fresh_database(args.database, work) as database_url:
            db = Database(database_url)
            asyncio.run(prepare_shop(db))
            asyncio.run(fill_inbox(db, args.orders, args.customers))
            asyncio.run(db.dispose())
            worker = run_worker_until_done(database_url, work, args.orders)
        with fresh_database(args.database, work) as database_url:
            engine = create_engine(sync_url(database_url))
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO shops (id, domain, scopes, installed_at) VALUES (1, 'raw', '', now())"))
            engine.dispose()
            raw = run_raw(database_url, work, args.customers, args.raw_seconds)
    ratio = worker["orders_per_second"] / raw["transactions_per_second"]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "worker": worker,
        "raw_pgbench": raw,
        "ratio": round(ratio, 3),
    }
    path = write_result("worker_throughput-postgresql", result)
    print(
        f"one worker: {worker['orders_per_second']:.0f} orders/s ({worker['orders']} orders, {worker['batches']} "
        f"batches, {worker['entries']} entries)"
    )
    print(f"raw award transaction, 8 pgbench clients: {raw['transactions_per_second']:.0f} tps")
    print(f"ratio {ratio:.2f}×; saved {path}")


if __name__ == "__main__":
    main()
