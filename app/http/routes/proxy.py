"""The storefront, through Shopify's app proxy (`/apps/loyalty` → `/proxy`), verified by `signature`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.http.deps import ProxyShopper, ServicesDep, Shopper, logged_in
from app.http.schemas import ErrorOut, MeOut
from frontend.pages import render
from loyalty import service as loyalty_service
from referrals import service as referrals_service

router = APIRouter(tags=["storefront"])


async def _me(shopper: Shopper, services: ServicesDep, customer_id: int) -> MeOut:
    shop = shopper.shop
    assert shop.id is not None
    async with services.db.unit_of_work() as session:
        view = await loyalty_service.member_view(
            session, shop_id=shop.id, customer_id=customer_id, shop_timezone=shop.iana_timezone, ledger_limit=0
        )
        program = await loyalty_service.get_program(session, shop.id)
        code = await referrals_service.referral_code(session, shop_id=shop.id, customer_id=customer_id)
    # Shared on the shop's own domain; Shopify's app proxy brings it to /proxy/r/{code}.
    return MeOut.of(view, program, f"https://{shop.domain}/apps/loyalty/r/{code}")


@router.get(
    "/proxy/me.json",
    response_model=MeOut,
    responses={
        401: {"model": ErrorOut, "description": "bad signature"},
        403: {"model": ErrorOut, "description": "not logged in"},
    },
)
async def me(shopper: ProxyShopper, services: ServicesDep) -> MeOut:
    return await _me(shopper, services, logged_in(shopper))


@router.get("/proxy", response_class=HTMLResponse, responses={401: {"model": ErrorOut, "description": "bad signature"}})
async def loyalty_page(shopper: ProxyShopper, services: ServicesDep) -> HTMLResponse:
    if shopper.customer_id is None:
        return HTMLResponse(render("storefront/loyalty.html", customer=None))
    mine = await _me(shopper, services, shopper.customer_id)
    customer = {
        "points": mine.points,
        "tier": mine.tier.name,
        "next_tier": mine.next_tier.name if mine.next_tier else None,
        "next_tier_remaining": mine.next_tier.remaining if mine.next_tier else None,
    }
    return HTMLResponse(
        render("storefront/loyalty.html", customer=customer, rewards=mine.rewards, referral_url=mine.referral_url)
    )
