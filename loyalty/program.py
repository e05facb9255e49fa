"""The merchant's program: its shape, its validation, and the default every new shop starts with."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, model_validator

MAX_MONEY = Decimal("1000000000")


def _number(value: Decimal) -> int | float:
    """Rates and multipliers are JSON numbers (`1`, `1.5`), as in the contract's default program."""
    return int(value) if value == value.to_integral_value() else float(value)


# Money travels as a decimal string in the shop's currency; rates as plain numbers.
MoneyString = Annotated[
    Decimal, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False, decimal_places=2), PlainSerializer(str, return_type=str)
]
Rate = Annotated[
    Decimal,
    Field(gt=0, le=1000, allow_inf_nan=False, decimal_places=4),
    PlainSerializer(_number, return_type=int | float),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
RewardId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,49}$")]

TierWindow = Literal["lifetime", "rolling_12_months", "calendar_year"]


class RuleBroken(ValueError):
    """A rule across fields, with the place in the document it is best shown at (for a form: the
    field to put the message beside), relative to the model that raised it."""

    def __init__(self, message: str, *place: str | int) -> None:
        super().__init__(message)
        self.place = place


class _Strict(BaseModel):
    # A typo in a field name is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid")


class EarnRule(_Strict):
    points_per_unit: Annotated[
        Decimal,
        Field(ge=0, le=1000, allow_inf_nan=False, decimal_places=4),
        PlainSerializer(_number, return_type=int | float),
    ]


class Tier(_Strict):
    name: Name
    threshold: MoneyString
    multiplier: Rate = Decimal(1)


class Reward(_Strict):
    id: RewardId
    name: Name
    points_cost: int = Field(gt=0, le=10_000_000)
    type: Literal["fixed_amount", "percentage", "free_shipping"]
    value: MoneyString | None = None

    @model_validator(mode="after")
    def _value_fits_type(self) -> Self:
        if self.type == "free_shipping":
            if self.value is not None:
                raise RuleBroken("A free shipping reward has no value.", "value")
            return self
        if self.value is None or self.value <= 0:
            raise RuleBroken("An amount or percentage off needs a value above 0.", "value")
        if self.type == "percentage" and self.value > 100:
            raise RuleBroken("A percentage off cannot be more than 100.", "value")
        return self


class ReferralSettings(_Strict):
    friend_discount_percent: Annotated[
        Decimal, Field(ge=0, le=100, allow_inf_nan=False, decimal_places=2), PlainSerializer(str, return_type=str)
    ]
    advocate_points: int = Field(ge=0, le=10_000_000)
    hold_days: int = Field(ge=0, le=365)


class EmailSettings(_Strict):
    care_delay_hours: int = Field(ge=0, le=24 * 90)


class Program(_Strict):
    earn: EarnRule
    tiers: list[Tier] = Field(min_length=1, max_length=20)
    tier_window: TierWindow
    rewards: list[Reward] = Field(default_factory=list, max_length=50)
    referrals: ReferralSettings
    emails: EmailSettings

    @model_validator(mode="after")
    def _tiers_climb(self) -> Self:
        if self.tiers[0].threshold != 0:
            raise RuleBroken("The first tier starts at 0, so that every member has a tier.", "tiers", 0, "threshold")
        for index, (lower, higher) in enumerate(itertools.pairwise(self.tiers), start=1):
            if higher.threshold <= lower.threshold:
                raise RuleBroken("Each tier starts above the one before it.", "tiers", index, "threshold")
        seen: set[str] = set()
        for index, tier in enumerate(self.tiers):
            if tier.name.casefold() in seen:
                raise RuleBroken("Another tier has this name.", "tiers", index, "name")
            seen.add(tier.name.casefold())
        ids: set[str] = set()
        names: set[str] = set()
        for index, reward in enumerate(self.rewards):
            if reward.name.casefold() in names:
                raise RuleBroken("Another reward has this name.", "rewards", index, "name")
            if reward.id in ids:
                raise RuleBroken("Another reward has this id.", "rewards", index, "id")
            names.add(reward.name.casefold())
            ids.add(reward.id)
        return self

    @property
    def base_tier(self) -> Tier:
        return self.tiers[0]

    def tier_named(self, name: str | None) -> Tier:
        for tier in self.tiers:
            if tier.name == name:
                return tier
        return self.base_tier

    def reward(self, reward_id: str) -> Reward | None:
        return next((r for r in self.rewards if r.id == reward_id), None)

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


DEFAULT_PROGRAM_DOCUMENT: dict[str, Any] = {
    "earn": {"points_per_unit": 1},
    "tiers": [
        {"name": "Member", "threshold": "0", "multiplier": 1},
        {"name": "Silver", "threshold": "200", "multiplier": 1},
        {"name": "Gold", "threshold": "500", "multiplier": 1},
    ],
    "tier_window": "lifetime",
    "rewards": [
        {"id": "5-off", "name": "5 off your order", "points_cost": 100, "type": "fixed_amount", "value": "5.00"},
        {"id": "10-percent", "name": "10% off your order", "points_cost": 200, "type": "percentage", "value": "10"},
        {"id": "free-shipping", "name": "Free shipping", "points_cost": 150, "type": "free_shipping"},
    ],
    "referrals": {"friend_discount_percent": "10", "advocate_points": 100, "hold_days": 14},
    "emails": {"care_delay_hours": 72},
}


def default_program() -> Program:
    return Program.model_validate(DEFAULT_PROGRAM_DOCUMENT)
