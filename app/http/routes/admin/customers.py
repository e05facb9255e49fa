"""The customers pages: the members list (search, sort, tier filter, a page at a time) and each
member's page (balance, tier and progress, history, tier changes, a manual adjustment)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.http.deps import MAX_SHOPIFY_ID
from app.http.errors import ApiError
from app.http.routes.admin.api import customers_page
from app.http.routes.admin.pages import AdminPage, CurrentPage
from app.http.schemas import MAX_POINTS_ADJUSTMENT, AdjustIn
from crm import directory
from crm import service as crm_service
from frontend.formatting import number
from frontend.i18n import translations
from loyalty import rules
from loyalty import service as loyalty_service
from loyalty.errors import IdempotencyKeyReused, InsufficientPoints

router = APIRouter(include_in_schema=False)
CustomerId = Annotated[int, Path(gt=0, le=MAX_SHOPIFY_ID)]


@router.get("/admin/customers", response_class=HTMLResponse)
async def customers(
    page: CurrentPage,
    query: Annotated[str, Query(max_length=100)] = "",
    sort: Annotated[str, Query(max_length=20)] = "points",
    tier: Annotated[str, Query(max_length=100)] = "",
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """A link kept from before (a tier since renamed, a page of an older list) shows what it still can,
    and says so, rather than refusing the merchant."""
    sort_by: directory.Sort = next((known for known in directory.SORTS if known == sort), "points")
    _ = translations(page.language).gettext
    notice = ""
    async with page.services.db.sessions() as session:
        program = await loyalty_service.get_program(session, page.shop_id)
        if tier and rules.spend_band(program.tiers, tier) is None:
            notice = _("There is no tier named %(tier)s any more: showing every tier.") % {"tier": tier}
            tier = ""
        try:
            listing = await customers_page(
                session, page.shop_id, program, query=query, sort=sort_by, tier=tier or None, after=after
            )
        except ApiError:
            # Only the cursor can still be wrong here: one of another sort or a shop's older list.
            after = None
            listing = await customers_page(
                session, page.shop_id, program, query=query, sort=sort_by, tier=tier or None, after=None
            )
    sort = sort_by
    rows = [(member, rules.tier_for_spend(program.tiers, member.spend).name) for member in listing.members]
    next_url = page.url("/admin/customers", query=query, sort=sort, tier=tier, after=listing.next_cursor)
    return page.render(
        "admin/customers/index.html",
        current="/admin/customers",
        notice=notice,
        rows=rows,
        query=query,
        sort=sort,
        tier=tier,
        tiers=[t.name for t in program.tiers],
        top_tier=program.tiers[-1].name,
        next_url=next_url if listing.next_cursor else None,
        first_url=page.url("/admin/customers", query=query, sort=sort, tier=tier) if after else None,
    )


@router.get("/admin/customers/{customer_id}", response_class=HTMLResponse)
async def customer(
    page: CurrentPage, customer_id: CustomerId, before: Annotated[int | None, Query(gt=0)] = None, done: str = ""
) -> HTMLResponse:
    return await _customer_page(page, customer_id, before=before, done=done)


@router.post("/admin/customers/{customer_id}/adjust", response_class=HTMLResponse)
async def adjust(page: CurrentPage, customer_id: CustomerId, request: Request) -> Response:
    """The same idempotent adjustment as the API's: the form's key makes a double submit count once."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    _ = translations(page.language).gettext
    ngettext = translations(page.language).ngettext
    points = _whole_number(form.get("points", ""))
    try:
        adjustment = AdjustIn.model_validate({"points": points, "reason": form.get("reason", "")})
    except ValidationError as invalid:
        wrong = {str(error["loc"][0]) for error in invalid.errors()}
        errors = {}
        if points is not None and abs(points) > MAX_POINTS_ADJUSTMENT:
            limit = number(MAX_POINTS_ADJUSTMENT, page.language)
            errors["points"] = _("Adjust by at most %(limit)s points at a time.") % {"limit": limit}
        elif "points" in wrong:
            errors["points"] = _("Enter a whole number of points other than 0, negative to take points away.")
        if "reason" in wrong:
            errors["reason"] = _("Say why, in up to 500 characters: it is shown in the customer's history.")
        return await _customer_page(page, customer_id, errors=errors, form=form)
    key = form.get("key") or uuid.uuid4().hex
    try:
        async with page.services.db.unit_of_work() as session:
            await loyalty_service.adjust_points(
                session,
                shop_id=page.shop_id,
                customer_id=customer_id,
                points=adjustment.points,
                reason=adjustment.reason,
                request_key=f"admin-page:{key[:64]}",
            )
    except InsufficientPoints as short:
        message = ngettext(
            "The balance is %(balance)s point: that is the most you can take away.",
            "The balance is %(balance)s points: that is the most you can take away.",
            short.balance,
        ) % {"balance": short.balance}
        return await _customer_page(page, customer_id, errors={"points": message}, form=form)
    except IdempotencyKeyReused:
        pass  # the form was sent twice with different values: the first one stands
    return page.redirect(f"/admin/customers/{customer_id}", done="adjusted")


def _whole_number(text: str) -> int | None:
    """`50`, `+50` or `-50` as typed (a sign before digits, no spaces inside); None for anything else."""
    text = text.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isdigit() or not digits.isascii() or len(digits) > 30:
        return None
    return int(text)


async def _customer_page(
    page: AdminPage,
    customer_id: int,
    *,
    before: int | None = None,
    done: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    async with page.services.db.sessions() as session:
        view = await loyalty_service.member_view(
            session,
            shop_id=page.shop_id,
            customer_id=customer_id,
            shop_timezone=page.shop.iana_timezone,
            ledger_limit=0,
        )
        lines, continue_before = await loyalty_service.ledger_page(
            session, shop_id=page.shop_id, customer_id=customer_id, before_id=before
        )
        changes = await loyalty_service.tier_history(session, shop_id=page.shop_id, customer_id=customer_id)
        profile = await crm_service.profile(session, shop_id=page.shop_id, customer_id=customer_id)
        program = await loyalty_service.get_program(session, page.shop_id)
    if profile is None and not lines and view.points == 0 and before is None:
        raise ApiError(404, "unknown_customer", "this shop has no customer with that id")
    current = rules.tier_for_spend(program.tiers, view.spend)
    return page.render(
        "admin/customers/show.html",
        current="/admin/customers",
        status=422 if errors else 200,
        customer_id=customer_id,
        view=view,
        profile=profile,
        tier_threshold=current.threshold,
        lines=lines,
        older_url=page.url(f"/admin/customers/{customer_id}", before=continue_before) if continue_before else None,
        newest_url=page.url(f"/admin/customers/{customer_id}") if before else None,
        changes=changes,
        errors=errors or {},
        form=form or {},
        done=done,
        key=uuid.uuid4().hex,
        back_url=page.url("/admin/customers"),
    )
