"""Operations: /healthz says whether this process can reach its database and Redis."""

from __future__ import annotations

import pytest

from tests.conftest import running_app

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"
CLOSED_PORT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


async def test_healthz_is_200_when_database_and_redis_answer(client):
    # given the usual database and Redis
    # when
    response = await client.get("/healthz")

    # then
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.parametrize(
    ("_case", "setting", "unreachable", "body"),
    [
        ("redis down", "redis_url", CLOSED_PORT_REDIS, {"status": "degraded", "database": "ok", "redis": "down"}),
        (
            "database down",
            "database_url",
            CLOSED_PORT_DATABASE,
            {"status": "degraded", "database": "down", "redis": "ok"},
        ),
    ],
)
async def test_healthz_is_503_when_a_dependency_is_unreachable(settings, devstore, _case, setting, unreachable, body):
    # given an app whose database or Redis is not there
    broken = settings.model_copy(update={setting: unreachable})
    async with running_app(broken, devstore) as live:
        # when
        response = await live.client.get("/healthz")

        # then
        assert response.status_code == 503, response.text
        assert response.json() == body
