"""The embedded admin's JSON API, authenticated by App Bridge session tokens. The admin's pages
(the other modules of this package) are views of the same services."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query
from sqlalchemy.ext.asyncio import AsyncSession

from app.http.deps import MAX_SHOPIFY_ID, CurrentShop, ServicesDep
from app.http.errors import ApiError
from app.http.schemas import (
    AdjustIn,
    ComplianceExportOut,
    CustomerListOut,
    CustomerOut,
    ErrorOut,
    ListedCustomerOut,
    TierOut,
)
from app.shops import compliance
from app.shops.models import Shop
from crm import directory
from loyalty import rules
from loyalty import service as loyalty_service
from loyalty.program import DEFAULT_PROGRAM_DOCUMENT, Program

router = APIRouter(tags=["admin"])

CustomerId = Annotated[int, Path(gt=0, le=MAX_SHOPIFY_ID, description="Shopify customer id")]
# The ledger stores the key with a prefix in a 200-character column: keep well inside it.
IdempotencyKey = Annotated[str | None, Header(max_length=128, description="repeats with the same key apply once")]


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


@router.get(
    "/admin/api/customers",
    response_model=CustomerListOut,
    responses={400: {"model": ErrorOut, "description": "an unknown tier or a cursor this listing did not give out"}},
)
async def list_customers(
    shop: CurrentShop,
    services: ServicesDep,
    query: Annotated[str, Query(max_length=100, description="matches name or email")] = "",
    sort: Annotated[directory.Sort, Query(description="highest first")] = "points",
    tier: Annotated[str | None, Query(max_length=100, description="the tier their spend puts them in")] = None,
    after: Annotated[str | None, Query(max_length=200, description="`next` of the previous page")] = None,
) -> CustomerListOut:
    async with services.db.sessions() as session:
        program = await loyalty_service.get_program(session, _id(shop))
        page = await customers_page(session, _id(shop), program, query=query, sort=sort, tier=tier, after=after)
    return CustomerListOut(
        customers=[
            ListedCustomerOut(
                customer_id=m.customer_id,
                name=m.name,
                email=m.email or "",
                points=m.points,
                tier=TierOut(name=rules.tier_for_spend(program.tiers, m.spend).name),
            )
            for m in page.members
        ],
        next=page.next_cursor,
    )


async def customers_page(
    session: AsyncSession,
    shop_id: int,
    program: Program,
    *,
    query: str,
    sort: directory.Sort,
    tier: str | None,
    after: str | None,
) -> directory.Page:
    """The listing both the API and the customers page answer with; a bad tier or cursor is a 400."""
    band = None
    if tier:
        band = rules.spend_band(program.tiers, tier)
        if band is None:
            raise ApiError(400, "unknown_tier", "no tier of the program has that name")
    try:
        return await directory.list_members(
            session, shop_id=shop_id, query=query, sort=sort, spend_band=band, after=after
        )
    except directory.BadCursor as exc:
        raise ApiError(400, "invalid_cursor", str(exc)) from exc


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
