"""The JSON shapes of the public endpoints (docs/architecture.md, "The HTTP surface"), so the OpenAPI
schema says exactly what we answer."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from loyalty.program import Program
from loyalty.schemas import MemberView

MAX_POINTS_ADJUSTMENT = 1_000_000_000


class ErrorOut(BaseModel):
    """Every error: `{"error", "detail"}`; a 422 adds the validation `errors`."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="machine-readable code, e.g. `invalid_shop`, `insufficient_points`")
    detail: str = Field(description="for humans")


# Documented on every route instead of FastAPI's default 422 (`{"detail": [...]}`), which we never send.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    "4XX": {"model": ErrorOut, "description": "the request was refused"}
}


class TierOut(BaseModel):
    name: str


class NextTierOut(BaseModel):
    name: str
    remaining: str = Field(description="still to spend to reach it, decimal string in shop currency")


class RewardOut(BaseModel):
    id: str
    name: str
    points_cost: int


class LedgerLineOut(BaseModel):
    delta: int
    kind: str
    reason: str
    created_at: str


class CustomerOut(BaseModel):
    customer_id: int
    points: int
    tier: TierOut
    next_tier: NextTierOut | None
    spend: str
    ledger: list[LedgerLineOut]

    @classmethod
    def of(cls, view: MemberView) -> CustomerOut:
        return cls(
            customer_id=view.customer_id,
            points=view.points,
            tier=TierOut(name=view.tier),
            next_tier=next_tier_out(view),
            spend=str(view.spend),
            ledger=[
                LedgerLineOut(
                    delta=line.delta, kind=line.kind, reason=line.reason, created_at=line.created_at.isoformat()
                )
                for line in view.ledger
            ],
        )


class MeOut(BaseModel):
    customer_id: int
    points: int
    tier: TierOut
    next_tier: NextTierOut | None
    referral_url: str
    rewards: list[RewardOut]

    @classmethod
    def of(cls, view: MemberView, program: Program, referral_url: str) -> MeOut:
        return cls(
            customer_id=view.customer_id,
            points=view.points,
            tier=TierOut(name=view.tier),
            next_tier=next_tier_out(view),
            referral_url=referral_url,
            rewards=[RewardOut(id=r.id, name=r.name, points_cost=r.points_cost) for r in program.rewards],
        )


def next_tier_out(view: MemberView) -> NextTierOut | None:
    if view.next_tier is None:
        return None
    return NextTierOut(name=view.next_tier.name, remaining=amount_text(view.next_tier.remaining))


CENTS = Decimal("0.01")


def amount_text(amount: Decimal) -> str:
    """Money as a decimal string in cents ("200.00", "249.50"), or in thousandths where a dinar
    currency's amount has them ("12.345"): one shape whatever the program was typed with."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and (exponent > -2 or amount == amount.quantize(CENTS)):
        amount = amount.quantize(CENTS)
    return format(amount, "f")


class AdjustIn(BaseModel):
    # A misspelt field or `true` for points is a mistake to report, not something to guess at.
    model_config = ConfigDict(extra="forbid")

    points: int = Field(strict=True, ge=-MAX_POINTS_ADJUSTMENT, le=MAX_POINTS_ADJUSTMENT, description="non-zero")
    # PostgreSQL text cannot hold NUL.
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=r"^[^\x00]*$")
    ]

    @field_validator("points")
    @classmethod
    def _not_zero(cls, points: int) -> int:
        if points == 0:
            raise ValueError("an adjustment of 0 points changes nothing")
        return points


class ListedCustomerOut(BaseModel):
    customer_id: int
    name: str
    email: str
    points: int
    tier: TierOut


class CustomerListOut(BaseModel):
    customers: list[ListedCustomerOut]
    next: str | None = Field(description="the cursor of the next page (`after=`), or null on the last page")


class ComplianceExportOut(BaseModel):
    customer_id: int
    data_request_id: int
    requested_at: str
    document: dict[str, object]


class HealthOut(BaseModel):
    status: str
    database: str
    redis: str
