"""The arq queue as seen by code that sends jobs: lazy, and quick to give up when Redis is down.

Sending is best effort by design: every job the app sends is backed by a database row that a
sweeper finds again, so a Redis outage delays work and never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence

import structlog
from arq.connections import ArqRedis, RedisSettings, create_pool
from cachetools import TTLCache
from redis.exceptions import RedisError

from app.core.config import Settings
from app.core.jobs import DeferredJob
from app.embedded_redis import redis_url

log = structlog.get_logger(__name__)

# After a failure, stop trying for a moment: requests should not each pay a connection timeout.
BACKOFF_SECONDS = 2.0
# arq keeps a finished job's result, and refuses its id again, for this long (app/worker.py).
KEEP_RESULT_SECONDS = 60
SENT_IDS_KEPT = 100_000


def arq_settings(settings: Settings) -> RedisSettings:
    redis = RedisSettings.from_dsn(redis_url(settings.redis_url, settings.var_dir))
    redis.conn_timeout = 1
    redis.conn_retries = 0
    return redis


class JobQueue:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: ArqRedis | None = None
        self._resting_until = 0.0
        self._lock = asyncio.Lock()
        # Ids of `dedupe_locally` jobs sent lately: a hot path (a shopper's page asking for their code
        # to be recorded) does not pay Redis round trips for a job arq would refuse anyway. Only for
        # jobs whose work a later request or sweep asks for again, should Redis lose one.
        self._sent_ids: TTLCache[str, bool] = TTLCache(maxsize=SENT_IDS_KEPT, ttl=KEEP_RESULT_SECONDS)

    async def _connected(self) -> ArqRedis:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    self._pool = await create_pool(arq_settings(self.settings), retry=0)
        return self._pool

    async def send(self, jobs: Sequence[DeferredJob]) -> None:
        if time.monotonic() < self._resting_until:
            return
        try:
            pool = await self._connected()
            for job in jobs:
                remembered = job.dedupe_locally and job.job_id is not None
                if remembered and job.job_id in self._sent_ids:
                    continue
                await pool.enqueue_job(job.name, *job.args, _job_id=job.job_id, **job.kwargs)
                if remembered and job.job_id is not None:
                    self._sent_ids[job.job_id] = True
        except (TimeoutError, RedisError, OSError) as exc:
            self._resting_until = time.monotonic() + BACKOFF_SECONDS
            await self._reset()
            log.warning("queue.send_failed", jobs=[j.name for j in jobs], error=type(exc).__name__)

    async def ping(self) -> bool:
        try:
            pool = await self._connected()
            return bool(await asyncio.wait_for(pool.ping(), timeout=1.0))
        except (TimeoutError, RedisError, OSError):
            await self._reset()
            return False

    async def _reset(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(RedisError, OSError):
                await pool.aclose()

    async def close(self) -> None:
        await self._reset()
