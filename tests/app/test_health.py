"""Operations: /healthz says whether this process can reach its database and Redis."""

from __future__ import annotations

from tests.app.support import running_app

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"
CLOSED_PORT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


async def test_healthz_is_200_when_database_and_redis_answer(client):
    # given the usual database and Redis
    # when
    response = await client.get("/healthz")

    # then
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_healthz_is_503_when_redis_is_unreachable(settings, devstore):
    # given an app whose Redis is not there
    broken = settings.model_copy(update={"redis_url": CLOSED_PORT_REDIS})
    async with running_app(broken, devstore) as (_, client):
        # when
        response = await client.get("/healthz")

        # then
        assert response.status_code == 503, response.text
        assert response.json() == {"status": "degraded", "database": "ok", "redis": "down"}


async def test_healthz_is_503_when_the_database_is_unreachable(settings, devstore):
    # given an app whose database is not there
    broken = settings.model_copy(update={"database_url": CLOSED_PORT_DATABASE})
    async with running_app(broken, devstore) as (_, client):
        # when
        response = await client.get("/healthz")

        # then
        assert response.status_code == 503, response.text
        assert response.json() == {"status": "degraded", "database": "down", "redis": "ok"}
