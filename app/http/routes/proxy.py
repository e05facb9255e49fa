"""The storefront, through Shopify's app proxy (`/apps/loyalty` → `/proxy`), verified by `signature`.

`GET /proxy` answers `application/liquid`: Shopify renders it inside the shop's own theme, with the
theme's Liquid objects (`routes`, `customer`, `shop`). Everything of ours in it is made inert for
Liquid (frontend/pages.py).
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response

from app.core import jobs
from app.http.deps import ProxyShopper, ServicesDep, Shopper, logged_in
from app.http.schemas import ErrorOut, MeOut, NextTierOut, RewardOut, TierOut, amount_text
from app.shops import storefront
from frontend.i18n import accepted_languages, choose
from frontend.pages import render_liquid
from loyalty import rules
from referrals.service import ENSURE_CODE_JOB

router = APIRouter(tags=["storefront"])
LIQUID = "application/liquid"


def referral_url(shopper: Shopper) -> str:
    # Shared on the shop's own domain; Shopify's app proxy brings it to /proxy/r/{code}.
    return f"https://{shopper.standing.domain}/apps/loyalty/r/{shopper.standing.referral_code}"


async def _record_code(shopper: Shopper) -> None:
    """The code shown was derived, not yet recorded: a worker records it (a read never writes). Sent
    after the answer, so the shopper never waits for the queue."""
    standing = shopper.standing
    if standing.code_unrecorded and shopper.customer_id is not None:
        job_id = f"{ENSURE_CODE_JOB}:{standing.shop_id}:{shopper.customer_id}:{standing.referral_code}"
        args = (standing.shop_id, shopper.customer_id, standing.referral_code)
        await jobs.send([jobs.DeferredJob(ENSURE_CODE_JOB, args, job_id=job_id, dedupe_locally=True)])


def _me(shopper: Shopper, customer_id: int) -> MeOut:
    standing = shopper.standing
    tiers = standing.program.tiers
    upcoming = rules.next_tier(tiers, standing.spend)
    return MeOut(
        customer_id=customer_id,
        points=standing.points,
        tier=TierOut(name=rules.tier_for_spend(tiers, standing.spend).name),
        next_tier=NextTierOut(name=upcoming[0].name, remaining=amount_text(upcoming[1])) if upcoming else None,
        referral_url=referral_url(shopper),
        rewards=[RewardOut(id=r.id, name=r.name, points_cost=r.points_cost) for r in standing.program.rewards],
    )


@router.get(
    "/proxy/me.json",
    response_model=MeOut,
    responses={
        401: {"model": ErrorOut, "description": "bad signature"},
        403: {"model": ErrorOut, "description": "not logged in"},
    },
)
async def me(shopper: ProxyShopper, background: BackgroundTasks) -> MeOut:
    customer_id = logged_in(shopper)
    background.add_task(_record_code, shopper)
    return _me(shopper, customer_id)


@router.get(
    "/proxy",
    response_class=Response,
    responses={200: {"content": {LIQUID: {}}}, 401: {"model": ErrorOut, "description": "bad signature"}},
)
async def loyalty_page(
    shopper: ProxyShopper, services: ServicesDep, request: Request, background: BackgroundTasks
) -> Response:
    standing = shopper.standing
    language = choose([request.query_params.get("locale"), *accepted_languages(request.headers.get("accept-language"))])
    context: dict[str, object] = {"program": standing.program, "currency": standing.currency}
    if shopper.customer_id is not None:
        background.add_task(_record_code, shopper)
        history = []
        if standing.member_id is not None:
            async with services.db.statement_reads() as session:
                history = await storefront.recent_history(
                    session, shop_id=standing.shop_id, member_id=standing.member_id
                )
        tiers = standing.program.tiers
        tier = rules.tier_for_spend(tiers, standing.spend)
        upcoming = rules.next_tier(tiers, standing.spend)
        context |= {
            "points": standing.points,
            "spend": standing.spend,
            "tier": tier,
            "next_tier": upcoming[0] if upcoming else None,
            "remaining": upcoming[1] if upcoming else None,
            "referral_url": referral_url(shopper),
            "history": history,
            "first_name": standing.first_name,
        }
    body = render_liquid(
        "storefront/loyalty.html", language=language, logged_in=shopper.customer_id is not None, **context
    )
    return Response(body, media_type=LIQUID, background=background)
