"""The app's side of the queue: a hot job with an id is asked for once while arq would refuse it anyway."""

from __future__ import annotations

import redis.asyncio as redis
from arq.constants import default_queue_name

from app.core.config import Settings
from app.core.jobs import DeferredJob
from app.queue import JobQueue


async def queued(settings: Settings) -> int:
    client = redis.Redis.from_url(settings.redis_url or "")
    try:
        return int(await client.zcard(default_queue_name))
    finally:
        await client.aclose()


async def client_flush(settings: Settings) -> None:
    client = redis.Redis.from_url(settings.redis_url or "")
    await client.flushdb()
    await client.aclose()


async def test_a_job_id_sent_again_costs_no_round_trip_and_other_jobs_still_go(settings: Settings) -> None:
    queue = JobQueue(settings)
    try:
        await queue.send([DeferredJob("referrals.ensure_code", (1, 7, "CODE"), job_id="code:1:7", dedupe_locally=True)])
        # Redis forgets the first (as a worker that ran it would): the queue must not ask again.
        await client_flush(settings)
        await queue.send([DeferredJob("referrals.ensure_code", (1, 7, "CODE"), job_id="code:1:7", dedupe_locally=True)])
        assert await queued(settings) == 0
        await queue.send(
            [
                DeferredJob("referrals.ensure_code", (1, 8, "CODE"), job_id="code:1:8", dedupe_locally=True),
                DeferredJob("webhooks.process"),
                DeferredJob("webhooks.process"),
            ]
        )
        assert await queued(settings) == 3
        # A job not marked so is always asked for: arq alone decides (after a reinstall, say).
        await queue.send([DeferredJob("shops.sync", (1,), job_id="shop-sync:1:1")])
        await client_flush(settings)
        await queue.send([DeferredJob("shops.sync", (1,), job_id="shop-sync:1:1")])
        assert await queued(settings) == 1
    finally:
        await queue.close()
