"""The merchant's program: reading it, giving a new shop the default, and replacing it."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import jobs
from app.core.clock import utcnow
from loyalty import repository, rules
from loyalty.program import Program, default_program

RECOMPUTE_SHOP_TIERS_JOB = "loyalty.recompute_shop_tiers"


async def reviewed_at(session: AsyncSession, shop_id: int) -> datetime | None:
    """When the merchant last saved the program or chose to keep it (None: never, still the default)."""
    return await repository.program_reviewed_at(session, shop_id)


async def mark_reviewed(session: AsyncSession, shop_id: int) -> None:
    await repository.mark_program_reviewed(session, shop_id, utcnow())


async def get_program(session: AsyncSession, shop_id: int) -> Program:
    document = await repository.program_document(session, shop_id)
    return Program.model_validate(document) if document is not None else default_program()


async def ensure_program(session: AsyncSession, shop_id: int) -> None:
    """Give a newly installed shop the default program; an existing one is left as it is."""
    await repository.insert_program_if_missing(session, shop_id, default_program().document(), utcnow())


async def update_program(session: AsyncSession, shop_id: int, program: Program) -> Program:
    """Replace the program. Views and earning read tiers live from spend at once; the stored tiers
    (and their change records) follow in a job, since a big shop has too many members for a request.
    The job is asked for only when the tiers or their window changed, once per shop and tier set
    (saving the same tiers again while it waits adds nothing). Saving counts as reviewing it."""
    before = await get_program(session, shop_id)
    if before != program:
        await repository.save_program(session, shop_id, program.document(), utcnow())
        if rules.tier_basis(before) != rules.tier_basis(program):
            digest = hashlib.sha256(repr(rules.tier_basis(program)).encode()).hexdigest()[:16]
            jobs.defer(RECOMPUTE_SHOP_TIERS_JOB, shop_id, job_id=f"{RECOMPUTE_SHOP_TIERS_JOB}:{shop_id}:{digest}")
    await mark_reviewed(session, shop_id)
    return program
