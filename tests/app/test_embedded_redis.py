"""The embedded Redis waits for a server that has made its socket but does not listen yet."""

from __future__ import annotations

import pytest
import redis

from app.embedded_redis import wait_until_answered


class _Answers:
    """A ping that is refused `refusals` times, then answered."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        if self.calls <= self.refusals:
            raise redis.ConnectionError("Error 111 connecting to redis.socket. Connection refused.")
        return True


def test_a_server_that_refuses_at_first_is_waited_for():
    answers = _Answers(refusals=3)
    wait_until_answered(answers, timeout=5)
    assert answers.calls == 4


def test_a_server_that_never_listens_is_given_up_on():
    answers = _Answers(refusals=10_000)
    with pytest.raises(redis.ConnectionError):
        wait_until_answered(answers, timeout=0.3)
    assert 2 <= answers.calls < 10_000
