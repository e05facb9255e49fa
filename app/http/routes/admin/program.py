"""The program page: earning, tiers and their window, the reward catalogue, referrals and emails,
edited through the same rules as `PUT /admin/api/program`, with a live preview of where members land."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.http.routes.admin.pages import AdminPage, CurrentPage
from app.http.routes.admin.program_form import ProgramForm, field_labels, form_of, read_form, tiers_of
from frontend.i18n import translations
from loyalty import service as loyalty_service
from loyalty import tiers as loyalty_tiers
from loyalty.program import MAX_MONEY, TierWindow

router = APIRouter(include_in_schema=False)
WINDOWS: tuple[TierWindow, ...] = ("lifetime", "rolling_12_months", "calendar_year")


@router.get("/admin/program", response_class=HTMLResponse)
async def program_page(page: CurrentPage, saved: str = "") -> HTMLResponse:
    async with page.services.db.sessions() as session:
        program = await loyalty_service.get_program(session, page.shop_id)
        reviewed = await loyalty_service.reviewed_at(session, page.shop_id)
        preview = await _preview(page, session, program.tier_window, program.document()["tiers"])
    return _render(page, form_of(program), preview, saved=saved, reviewed=reviewed is not None)


@router.post("/admin/program", response_class=HTMLResponse)
async def save_program(page: CurrentPage, request: Request) -> Response:
    submitted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if "keep" in submitted:
        async with page.services.db.unit_of_work() as session:
            await loyalty_service.mark_reviewed(session, page.shop_id)
        return page.redirect("/admin/program", saved="kept")
    program, form = read_form(submitted, page.language)
    if program is None:
        async with page.services.db.sessions() as session:
            window, tiers = tiers_of(submitted)
            preview = await _preview(page, session, window, tiers)
        return _render(page, form, preview, status=422, reviewed=True, saved="")
    async with page.services.db.unit_of_work() as session:
        await loyalty_service.update_program(session, page.shop_id, program)
    return page.redirect("/admin/program", saved="1")


@router.post("/admin/program/preview", response_class=HTMLResponse)
async def preview_tiers(page: CurrentPage, request: Request) -> HTMLResponse:
    """Where current members would land with the tiers as typed (before saving)."""
    window, tiers = tiers_of({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    async with page.services.db.sessions() as session:
        preview = await _preview(page, session, window, tiers)
    return page.fragment("admin/program/preview.html", preview=preview)


def _render(
    page: AdminPage, form: ProgramForm, preview: dict[str, object], *, status: int = 200, **context: object
) -> HTMLResponse:
    gettext = translations(page.language).gettext
    return page.render(
        "admin/program/index.html",
        current="/admin/program",
        status=status,
        form=form,
        labels=field_labels(gettext, page.shop.currency, form.tier_rows, form.reward_rows),
        windows=WINDOWS,
        preview=preview,
        reward_types=("fixed_amount", "percentage", "free_shipping"),
        **context,
    )


async def _preview(
    page: AdminPage, session: AsyncSession, window: str, tiers: list[dict[str, str]]
) -> dict[str, object]:
    """Counts per tier, or why there are none yet (tiers that do not climb from 0)."""
    ladder = []
    for tier in tiers:
        try:
            threshold = Decimal(str(tier.get("threshold", "")))
        except InvalidOperation:
            return {"problem": "thresholds"}
        # NaN and 1e999 parse; neither can be compared or sent to the database.
        if not threshold.is_finite() or not 0 <= threshold <= MAX_MONEY:
            return {"problem": "thresholds"}
        ladder.append((tier.get("name") or "—", threshold))
    thresholds = [threshold for _, threshold in ladder]
    if not ladder or thresholds[0] != 0 or thresholds != sorted(set(thresholds)) or window not in WINDOWS:
        return {"problem": "thresholds"}
    counts = await loyalty_tiers.members_per_tier(
        session,
        shop_id=page.shop_id,
        thresholds=thresholds,
        window=window,
        shop_timezone=page.shop.iana_timezone,
        now=utcnow(),
    )
    return {"rows": [(name, threshold, count) for (name, threshold), count in zip(ladder, counts, strict=True)]}
