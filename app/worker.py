"""The arq worker: its jobs, its cron table, and a supervisor that outlives Redis restarts.

arq's worker exits when its Redis connection drops. `dangol worker` therefore runs it in a loop:
the services (database pool, HTTP client) live across restarts, only the arq Worker is rebuilt.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import datetime, timedelta
from typing import Any

import structlog
from arq import Retry, cron, func
from arq.worker import Worker
from redis.exceptions import RedisError

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.heap import settle_heap
from app.queue import KEEP_RESULT_SECONDS, arq_settings
from app.services import Services, build_services
from app.shopify.errors import ShopifyError, ShopifyUnavailable
from app.shops import compliance
from app.shops import service as shops_service
from app.shops.models import Shop
from app.shops.sync import sync_shop
from app.shops.tokens import ShopNotConnected
from loyalty import audit
from loyalty import service as loyalty_service
from referrals import service as referrals_service
from webhooks import inbox
from webhooks import tasks as webhook_tasks
from webhooks.reconcile import reconcile_shop

log = structlog.get_logger(__name__)

RESTART_DELAYS = (0.5, 1, 2, 5, 10)


def _retry_later(ctx: dict[str, Any], exc: ShopifyUnavailable) -> Retry:
    return Retry(defer=exc.retry_after or min(2 ** ctx.get("job_try", 1), 300))


async def sync_shop_job(ctx: dict[str, Any], shop_id: int) -> None:
    services: Services = ctx["services"]
    try:
        await sync_shop(services.db, services.tokens, services.admin, shop_id, services.settings.app_url)
    except ShopifyUnavailable as exc:
        raise _retry_later(ctx, exc) from exc


async def sync_unsynced_shops(ctx: dict[str, Any]) -> int:
    """Cron: the sync job sent at install is best effort (Redis may be down, Shopify may be away for
    longer than its retries); any installed shop still unsynced is synced here."""
    services: Services = ctx["services"]
    async with services.db.sessions() as session:
        shop_ids = await shops_service.unsynced_shops(session)
    synced = 0
    for shop_id in shop_ids:
        try:
            await sync_shop(services.db, services.tokens, services.admin, shop_id, services.settings.app_url)
            synced += 1
        except (ShopNotConnected, ShopifyError) as exc:
            log.warning("shops.sync_failed", shop_id=shop_id, error=type(exc).__name__)
    return synced


async def refresh_tokens(ctx: dict[str, Any]) -> int:
    """Cron: rotate every token inside its refresh margin, before anyone needs it."""
    services: Services = ctx["services"]
    refreshed = 0
    for shop_id in await services.tokens.due_for_refresh():
        async with services.db.sessions() as session:
            shop = await session.get(Shop, shop_id)
        if shop is None:
            continue
        try:
            await services.tokens.refresh(shop_id, shop.domain)
            refreshed += 1
        except (ShopNotConnected, ShopifyError) as exc:
            log.warning("shops.token.refresh_failed", shop=shop.domain, error=type(exc).__name__)
    return refreshed


async def reconcile_orders(ctx: dict[str, Any]) -> int:
    services: Services = ctx["services"]
    async with services.db.sessions() as session:
        shop_ids = [shop.id for shop in await shops_service.installed_shops(session) if shop.id is not None]
    queued = 0
    for shop_id in shop_ids:
        try:
            queued += await reconcile_shop(
                services.db,
                services.tokens,
                services.admin,
                shop_id,
                api_version=services.settings.shopify_api_version,
                overlap=services.settings.reconcile_overlap,
            )
        except (ShopNotConnected, ShopifyError) as exc:
            log.warning("webhooks.reconcile_failed", shop_id=shop_id, error=type(exc).__name__)
    return queued


async def recompute_tiers(ctx: dict[str, Any]) -> int:
    """Hourly: rolling and calendar windows move with time even when no order arrives, and a shop's
    new year begins at its own midnight. Lifetime tiers only move with orders, so they are left."""
    services: Services = ctx["services"]
    async with services.db.sessions() as session:
        shops = [(s.id, s.iana_timezone) for s in await shops_service.installed_shops(session) if s.id is not None]
    pages = 0
    for shop_id, time_zone in shops:
        async with services.db.sessions() as session:
            windowed = (await loyalty_service.get_program(session, shop_id)).tier_window != "lifetime"
        if windowed:
            pages += await _recompute_every_member(services, shop_id, time_zone)
    return pages


async def recompute_shop_tiers(ctx: dict[str, Any], shop_id: int) -> int:
    """Every member's stored tier of one shop, a page per transaction (after a program change)."""
    services: Services = ctx["services"]
    async with services.db.sessions() as session:
        shop = await session.get(Shop, shop_id)
    if shop is None:
        return 0
    return await _recompute_every_member(services, shop_id, shop.iana_timezone)


async def _recompute_every_member(services: Services, shop_id: int, time_zone: str | None) -> int:
    pages = 0
    after: int | None = 0
    while after is not None:
        async with services.db.unit_of_work() as session:
            after = await loyalty_service.recompute_tiers_page(
                session, shop_id=shop_id, shop_timezone=time_zone, after_member_id=after
            )
        pages += 1
    return pages


async def audit_balances(ctx: dict[str, Any]) -> int:
    """Nightly: every cached balance against the sum of its entries, shop by shop. A difference is
    logged as an error naming the members (never expected: balances move only beside entries).
    Answers how many members disagree."""
    services: Services = ctx["services"]
    async with services.db.sessions() as session:
        shops = [(shop.id, shop.domain) for shop in await shops_service.all_shops(session) if shop.id is not None]
    wrong = 0
    for shop_id, domain in shops:
        async with services.db.sessions() as session:
            mismatches = await audit.balance_mismatches(session, shop_id=shop_id)
        if mismatches:
            wrong += len(mismatches)
            log.error(
                "loyalty.audit.balances_disagree",
                shop=domain,
                members=len(mismatches),
                first=[vars(m) for m in mismatches[:20]],
            )
    log.info("loyalty.audit.done", shops=len(shops), members_disagreeing=wrong)
    return wrong


RETENTION_BATCH = 1000


async def forget_old_personal_data(ctx: dict[str, Any], *, now: datetime | None = None) -> tuple[int, int]:
    """Hourly: webhook bodies and compliance exports are kept no longer than docs/privacy.md says.
    Bodies go in batches, one transaction each, so a long backlog never holds a long lock.
    Answers (bodies emptied, exports deleted)."""
    services: Services = ctx["services"]
    settings = services.settings
    now = now or utcnow()
    settled_before = now - timedelta(days=settings.inbox_body_retention_days)
    emptied = 0
    while True:
        async with services.db.unit_of_work() as session:
            batch = await inbox.empty_settled_bodies(session, settled_before=settled_before, limit=RETENTION_BATCH)
        emptied += batch
        if batch < RETENTION_BATCH:
            break
    async with services.db.unit_of_work() as session:
        exports = await compliance.delete_exports_prepared_before(
            session, now - timedelta(days=settings.compliance_export_retention_days)
        )
    if emptied or exports:
        log.info("privacy.forgotten", bodies_emptied=emptied, exports_deleted=exports)
    return emptied, exports


async def record_referral_code(ctx: dict[str, Any], shop_id: int, customer_id: int, code: str) -> None:
    """A storefront read showed a derived code it did not write: record it (app/shops/storefront.py)."""
    services: Services = ctx["services"]
    async with services.db.unit_of_work() as session:
        await referrals_service.record_code(session, shop_id=shop_id, customer_id=customer_id, code=code)


async def _on_startup(ctx: dict[str, Any]) -> None:
    # Whatever arrived while no worker was listening is picked up now, not at the next sweep.
    await ctx["drainer"].wake()


def worker_options(settings: Settings) -> dict[str, Any]:
    every = max(1, min(59, settings.inbox_sweep_every_seconds))
    job_timeout = settings.webhook_job_timeout_seconds
    return {
        "functions": [
            func(webhook_tasks.process_inbox, name=webhook_tasks.PROCESS_JOB, timeout=job_timeout, max_tries=3),
            func(sync_shop_job, name=shops_service.SYNC_JOB, timeout=60, max_tries=8),
            func(recompute_shop_tiers, name=loyalty_service.RECOMPUTE_SHOP_TIERS_JOB, timeout=3600, max_tries=3),
            func(record_referral_code, name=referrals_service.ENSURE_CODE_JOB, timeout=30, max_tries=5),
        ],
        "cron_jobs": [
            cron(
                webhook_tasks.sweep_inbox,
                name="webhooks.sweep_inbox",
                second=set(range(0, 60, every)),
                timeout=job_timeout,
            ),
            cron(refresh_tokens, name="shops.refresh_tokens", minute=set(range(0, 60, 5)), second=7, timeout=120),
            cron(sync_unsynced_shops, name="shops.sync_unsynced", minute=set(range(2, 60, 10)), second=41, timeout=300),
            cron(
                reconcile_orders,
                name="webhooks.reconcile_orders",
                minute=set(range(0, 60, max(1, settings.reconcile_every_minutes))),
                second=23,
                timeout=600,
            ),
            cron(recompute_tiers, name="loyalty.recompute_tiers", minute=17, second=0, timeout=3600),
            cron(forget_old_personal_data, name="privacy.forget_old", minute=37, second=13, timeout=3600),
            cron(audit_balances, name="loyalty.audit_balances", hour=3, minute=41, second=5, timeout=3600),
        ],
        "redis_settings": arq_settings(settings),
        "on_startup": _on_startup,
        "poll_delay": 0.05,
        "max_jobs": 4,
        # Dedupe lives in unique keys, not in arq's results; keep results only briefly.
        "keep_result": KEEP_RESULT_SECONDS,
        "job_timeout": job_timeout,
        "handle_signals": False,
    }


def worker_context(services: Services) -> dict[str, Any]:
    settings = services.settings
    sqlite = services.db.dialect == "sqlite"
    return {
        "services": services,
        "drainer": webhook_tasks.Drainer(
            services.db,
            # SQLite has one writer: shorter batches keep webhook intake waiting less.
            batch_size=min(50, settings.inbox_claim_batch) if sqlite else settings.inbox_claim_batch,
            max_attempts=settings.inbox_max_attempts,
            budget_seconds=max(1.0, settings.webhook_job_timeout_seconds * 0.6),
        ),
    }


async def supervise(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run arq workers until asked to stop, starting a new one whenever Redis drops the last."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    services = build_services(settings)
    ctx = worker_context(services)
    settle_heap()
    # arq's own start-up lines are off (app/core/logging.py); one line says the worker is up.
    log.info("worker.started", batch_size=ctx["drainer"].batch_size)
    failures = 0
    try:
        while not stop.is_set():
            worker = Worker(**worker_options(settings), ctx=ctx)
            run = asyncio.create_task(worker.async_run())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({run, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not run.done():
                run.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                await run
            error = run.exception() if run.done() and not run.cancelled() else None
            with contextlib.suppress(RedisError, OSError, asyncio.CancelledError):
                await worker.close()
            if stop.is_set():
                break
            failures = failures + 1 if error else 0
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            log.warning("worker.restarting", error=type(error).__name__ if error else None, in_seconds=delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
    finally:
        await services.close()
