"""Jobs deferred until commit: code inside a unit of work asks for a job, the unit of work sends it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DeferredJob:
    name: str
    args: tuple[Any, ...] = ()
    job_id: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    # For a job asked for on a hot path with the same id again and again: the queue skips it when this
    # process sent that id lately (app/queue.py), sparing the round trips arq's own refusal costs.
    dedupe_locally: bool = False


JobSender = Callable[[Sequence[DeferredJob]], Awaitable[None]]

_pending: ContextVar[list[DeferredJob] | None] = ContextVar("dangol_pending_jobs", default=None)
_sender: JobSender | None = None


def set_sender(sender: JobSender | None) -> None:
    """The shell installs the queue here at start-up; the kernel stays free of arq."""
    global _sender
    _sender = sender


def defer(name: str, *args: Any, job_id: str | None = None, **kwargs: Any) -> None:
    """Ask for a job to run after the current unit of work commits. Outside one, it is an error."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("defer() called outside a unit of work")
    pending.append(DeferredJob(name=name, args=args, job_id=job_id, kwargs=kwargs))


def begin_collecting() -> object:
    return _pending.set([])


def collected() -> list[DeferredJob]:
    return list(_pending.get() or [])


def end_collecting(token: object) -> None:
    _pending.reset(token)  # type: ignore[arg-type]


async def send(jobs: Sequence[DeferredJob]) -> None:
    """Best effort: the database is the truth and sweepers pick up whatever never reached the queue."""
    if jobs and _sender is not None:
        await _sender(jobs)
