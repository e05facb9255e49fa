"""Operations: is this process able to do its work?"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.http.deps import ServicesDep
from app.http.schemas import HealthOut

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def healthz(services: ServicesDep) -> JSONResponse:
    try:
        async with services.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure to answer is "down", whatever the driver raised
        database = "down"
    redis = "ok" if await services.queue.ping() else "down"
    healthy = database == "ok" and redis == "ok"
    body = HealthOut(status="ok" if healthy else "degraded", database=database, redis=redis)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
