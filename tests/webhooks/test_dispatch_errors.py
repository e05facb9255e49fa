"""What the worker retries and what it gives up on."""

import psycopg.errors
import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from webhooks.dispatch import is_transient


def _wrapped(kind, orig):
    return kind("statement", {}, orig)


@pytest.mark.parametrize(
    ("_case", "exc", "transient"),
    [
        ("lost connection", _wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating")), True),
        ("deadlock", _wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock")), True),
        ("sqlite busy", _wrapped(OperationalError, Exception("database is locked")), True),
        ("value too long", _wrapped(DataError, psycopg.errors.StringDataRightTruncation("too long")), False),
        ("broken constraint", _wrapped(IntegrityError, psycopg.errors.UniqueViolation("dup")), False),
        ("a bug", ValueError("bad"), False),
    ],
)
def test_only_what_cures_itself_is_retried_without_limit(_case, exc, transient):
    assert is_transient(exc) is transient
