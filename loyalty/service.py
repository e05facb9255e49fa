"""Loyalty use cases: the domain's public entry points, gathered from the modules that own them
(programs, orders, tiers, members, privacy). Services flush, never commit."""

from __future__ import annotations

from loyalty.members import LEDGER_PAGE, adjust_points, ledger_page, member_view, tier_history
from loyalty.orders import apply_order_events, order_versions
from loyalty.privacy import export_customer, redact_customer, redact_shop
from loyalty.programs import (
    RECOMPUTE_SHOP_TIERS_JOB,
    ensure_program,
    get_program,
    mark_reviewed,
    reviewed_at,
    update_program,
)
from loyalty.tiers import recompute_tiers_page

__all__ = [
    "LEDGER_PAGE",
    "RECOMPUTE_SHOP_TIERS_JOB",
    "adjust_points",
    "apply_order_events",
    "ensure_program",
    "export_customer",
    "get_program",
    "ledger_page",
    "mark_reviewed",
    "member_view",
    "order_versions",
    "recompute_tiers_page",
    "redact_customer",
    "redact_shop",
    "reviewed_at",
    "tier_history",
    "update_program",
]
