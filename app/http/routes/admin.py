"""The embedded admin: its page and its JSON API, authenticated by App Bridge session tokens."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Request
from fastapi.responses import HTMLResponse, Response

from app.http.deps import (
    MAX_SHOPIFY_ID,
    CurrentShop,
    ServicesDep,
    invalid_session,
    request_headers,
    shop_with_token,
    url_of,
)
from app.http.schemas import AdjustIn, ComplianceExportOut, CustomerOut, ErrorOut
from app.shops import compliance
from app.shops.models import Shop
from frontend.pages import render
from loyalty import service as loyalty_service
from loyalty.program import DEFAULT_PROGRAM_DOCUMENT, Program

router = APIRouter(tags=["admin"])

CustomerId = Annotated[int, Path(gt=0, le=MAX_SHOPIFY_ID, description="Shopify customer id")]
# The ledger stores the key with a prefix in a 200-character column: keep well inside it.
IdempotencyKey = Annotated[str | None, Header(max_length=128, description="repeats with the same key apply once")]


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
async def admin_home(request: Request, services: ServicesDep) -> Response:
    verdict = services.verifier.session(request.method, url_of(request, services), request_headers(request))
    if not verdict.ok or verdict.shop_domain is None:
        if verdict.status in (301, 302, 303, 307):
            return Response(status_code=verdict.status, headers=verdict.headers)
        raise invalid_session(verdict.code, verdict.headers)
    shop = await shop_with_token(services, verdict.shop_domain, verdict.id_token)
    async with services.db.sessions() as session:
        program = await loyalty_service.get_program(session, _id(shop))
    page = render(
        "admin/home.html",
        api_key=services.settings.shopify_api_key,
        shop_name=shop.name or shop.domain,
        currency=shop.currency or "",
        points_per_unit=program.document()["earn"]["points_per_unit"],
        tier_window=program.tier_window.replace("_", " "),
        tiers=program.document()["tiers"],
        rewards=program.rewards,
    )
    return HTMLResponse(page, headers=verdict.headers)


@router.get("/admin/api/program", response_model=Program, response_model_exclude_none=True)
async def read_program(shop: CurrentShop, services: ServicesDep) -> dict[str, Any]:
    async with services.db.sessions() as session:
        return (await loyalty_service.get_program(session, _id(shop))).document()


@router.put("/admin/api/program", response_model=Program, response_model_exclude_none=True)
async def replace_program(
    program: Annotated[Program, Body(openapi_examples={"default": {"value": DEFAULT_PROGRAM_DOCUMENT}})],
    shop: CurrentShop,
    services: ServicesDep,
) -> dict[str, Any]:
    async with services.db.unit_of_work() as session:
        return (await loyalty_service.update_program(session, _id(shop), program)).document()


@router.get("/admin/api/customers/{customer_id}", response_model=CustomerOut)
async def read_customer(customer_id: CustomerId, shop: CurrentShop, services: ServicesDep) -> CustomerOut:
    async with services.db.sessions() as session:
        view = await loyalty_service.member_view(
            session, shop_id=_id(shop), customer_id=customer_id, shop_timezone=shop.iana_timezone
        )
    return CustomerOut.of(view)


@router.post(
    "/admin/api/customers/{customer_id}/adjust",
    response_model=CustomerOut,
    responses={
        409: {
            "model": ErrorOut,
            "description": "the debit would overdraw the balance, or its Idempotency-Key was used for another one",
        }
    },
)
async def adjust_customer(
    customer_id: CustomerId,
    adjustment: Annotated[
        AdjustIn, Body(openapi_examples={"credit": {"value": {"points": 50, "reason": "Goodwill for a late parcel"}}})
    ],
    shop: CurrentShop,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> CustomerOut:
    async with services.db.unit_of_work() as session:
        await loyalty_service.adjust_points(
            session,
            shop_id=_id(shop),
            customer_id=customer_id,
            points=adjustment.points,
            reason=adjustment.reason,
            request_key=idempotency_key or uuid.uuid4().hex,
        )
        view = await loyalty_service.member_view(
            session, shop_id=_id(shop), customer_id=customer_id, shop_timezone=shop.iana_timezone
        )
    return CustomerOut.of(view)


@router.get("/admin/api/compliance/exports", response_model=list[ComplianceExportOut])
async def compliance_exports(shop: CurrentShop, services: ServicesDep) -> list[ComplianceExportOut]:
    """What `customers/data_request` prepared, for the merchant to hand to the customer."""
    async with services.db.sessions() as session:
        exports = await compliance.exports_of(session, _id(shop))
    return [
        ComplianceExportOut(
            customer_id=e.customer_id,
            data_request_id=e.data_request_id,
            requested_at=e.requested_at.isoformat(),
            document=e.document,
        )
        for e in exports
    ]


def _id(shop: Shop) -> int:
    assert shop.id is not None
    return shop.id
