"""Saving the program asks the worker to recompute stored tiers only when the tiers changed, and once
per shop and tier set however often the merchant presses save."""

from __future__ import annotations

import copy

import redis.asyncio as redis

from loyalty.program import DEFAULT_PROGRAM_DOCUMENT
from loyalty.service import RECOMPUTE_SHOP_TIERS_JOB
from tests.factories import SHOP, bearer, install_shop


async def _recompute_jobs(redis_url: str) -> list[bytes]:
    client = redis.Redis.from_url(redis_url)
    try:
        return sorted(await client.keys(f"arq:job:{RECOMPUTE_SHOP_TIERS_JOB}:*"))
    finally:
        await client.aclose()


def _program(**changes) -> dict:
    document = copy.deepcopy(DEFAULT_PROGRAM_DOCUMENT)
    for key, value in changes.items():
        document[key] = value
    return document


async def test_twenty_five_saves_of_new_tiers_queue_one_recompute(client, store_client, redis_url):
    # given
    await install_shop(client, store_client)
    tiers = [*DEFAULT_PROGRAM_DOCUMENT["tiers"][:2], {"name": "Gold", "threshold": "400", "multiplier": 2}]
    # when the same new tiers are saved 25 times
    for _ in range(25):
        response = await client.put("/admin/api/program", json=_program(tiers=tiers), headers=bearer(SHOP))
        assert response.status_code == 200, response.text
    # then one recompute waits
    assert len(await _recompute_jobs(redis_url)) == 1


async def test_a_save_that_changes_nothing_about_tiers_queues_nothing(client, store_client, redis_url):
    # given
    await install_shop(client, store_client)
    rewards = [{"id": "3-off", "name": "3 off", "points_cost": 60, "type": "fixed_amount", "value": "3.00"}]
    multipliers = [dict(t, multiplier=2) if t["name"] == "Gold" else t for t in DEFAULT_PROGRAM_DOCUMENT["tiers"]]
    # when the program is saved unchanged, then with other rewards, then with another multiplier
    for document in (_program(), _program(rewards=rewards), _program(rewards=rewards, tiers=multipliers)):
        response = await client.put("/admin/api/program", json=document, headers=bearer(SHOP))
        assert response.status_code == 200, response.text
    # then no recompute was asked for, and the last save stands
    assert await _recompute_jobs(redis_url) == []
    saved = (await client.get("/admin/api/program", headers=bearer(SHOP))).json()
    assert (saved["rewards"][0]["id"], saved["tiers"][2]["multiplier"]) == ("3-off", 2)
