"""What several webhook tests arrange the same way."""

from __future__ import annotations

import pytest

from webhooks import dispatch
from webhooks.models import InboxStatus


def refuse_to_write_processed(monkeypatch: pytest.MonkeyPatch, poisoned: int) -> None:
    """The batch's final write fails whenever it would mark row `poisoned` processed, as a value the
    database cannot store would make it fail."""
    real_write = dispatch.write_outcomes

    async def write_refusing_the_poisoned_row(session, outcomes, now):  # type: ignore[no-untyped-def]
        if any(inbox_id == poisoned and o.status == InboxStatus.PROCESSED for inbox_id, (_, o) in outcomes.items()):
            raise ValueError("value out of range")
        await real_write(session, outcomes, now)

    monkeypatch.setattr(dispatch, "write_outcomes", write_refusing_the_poisoned_row)
