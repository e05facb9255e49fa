"""Driving hypothesis against the app from an async test: examples are drawn in a worker thread, and
each request runs on the test's event loop, where the app's database pool and HTTP client live."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

T = TypeVar("T")
# Answers per operation and status class, across the run: printed at the end of the session
# (tests/conftest.py), because a fuzz that only ever meets a 401 proves nothing about the handlers.
ANSWERS: dict[str, Counter[str]] = defaultdict(Counter)
CALL_TIMEOUT_SECONDS = 30


async def fuzz(strategy: st.SearchStrategy[Any], check: Callable[[Any], None], *, max_examples: int) -> None:
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(example=strategy)
    def run(example: Any) -> None:
        check(example)

    await asyncio.to_thread(run)


def on_loop() -> Callable[[Awaitable[T]], T]:
    """Runs a coroutine on the calling test's loop from hypothesis' thread, and waits for it."""
    loop = asyncio.get_running_loop()

    def call(awaitable: Awaitable[T]) -> T:
        future = asyncio.run_coroutine_threadsafe(_wrapped(awaitable), loop)
        return future.result(timeout=CALL_TIMEOUT_SECONDS)

    return call


async def _wrapped(awaitable: Awaitable[T]) -> T:
    return await awaitable
