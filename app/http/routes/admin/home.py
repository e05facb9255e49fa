"""The admin's home: what to do first, and the shop's numbers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.core.clock import utcnow
from app.http.routes.admin.pages import AdminPage, CurrentPage
from crm import overview
from frontend import charts
from frontend.formatting import money
from frontend.i18n import translations
from frontend.theme import EMBED_HANDLE, embed_activation_url
from loyalty import service as loyalty_service

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
async def home(page: CurrentPage) -> HTMLResponse:
    async with page.services.db.sessions() as session:
        numbers = await overview.shop_overview(
            session, shop_id=page.shop_id, now=utcnow(), time_zone=page.shop.iana_timezone
        )
        reviewed = await loyalty_service.reviewed_at(session, page.shop_id)
    return page.render(
        "admin/home/index.html",
        current="/admin",
        numbers=numbers,
        reviewed=reviewed,
        embed_handle=EMBED_HANDLE,
        embed_url=embed_activation_url(page.shop.domain, page.services.settings.shopify_api_key),
        figures=_figures(page, numbers),
    )


def _figures(page: AdminPage, numbers: overview.Overview) -> list[charts.Figure]:
    _ = translations(page.language).gettext
    currency = page.shop.currency
    labels = [f"{w.starts.month}/{w.starts.day}" for w in numbers.weeks]
    orders = charts.bars(
        "orders-by-week",
        _("Orders by members and guests, by week"),
        labels,
        [
            charts.Series(_("Members"), [w.member_orders for w in numbers.weeks]),
            charts.Series(_("Guests"), [w.guest_orders for w in numbers.weeks]),
        ],
        label_heading=_("Week of"),
    )
    share = charts.share(
        "revenue-share",
        _("Members' share of sales before refunds, last 12 weeks"),
        [
            (_("Members"), numbers.member_revenue, money(numbers.member_revenue, currency, page.language)),
            (_("Guests"), numbers.guest_revenue, money(numbers.guest_revenue, currency, page.language)),
        ],
        label_heading=_("Buyers"),
        value_heading=_("Sales"),
    )
    return [orders, share]
