"""The program page's form, both ways: a program as the rows of a form, and a submitted form as the
program document `PUT /admin/api/program` takes, with each validation error placed on its field.

The rules are the program's own (loyalty/program.py): this module only moves values between the
form's field names (`tiers-0-threshold`) and the document's places (`tiers[0].threshold`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from frontend.formatting import number
from frontend.i18n import Language, translations
from loyalty.program import Program, RuleBroken

Gettext = Callable[[str], str]
TIER_FIELDS = ("name", "threshold", "multiplier")
REWARD_FIELDS = ("id", "name", "points_cost", "type", "value")
SCALARS = {
    "earn-points_per_unit": ("earn", "points_per_unit"),
    "tier_window": ("tier_window",),
    "referrals-friend_discount_percent": ("referrals", "friend_discount_percent"),
    "referrals-advocate_points": ("referrals", "advocate_points"),
    "referrals-hold_days": ("referrals", "hold_days"),
    "emails-care_delay_hours": ("emails", "care_delay_hours"),
}
# Rows beyond the last filled one: room to add a tier or a reward without any script.
SPARE_ROWS = 1
MAX_ROWS = 60


@dataclass
class ProgramForm:
    """What the page shows: every field's text as it stands, and errors by field name."""

    values: dict[str, str]
    tier_rows: int
    reward_rows: int
    errors: dict[str, str] = field(default_factory=dict)


def form_of(program: Program) -> ProgramForm:
    document = program.document()
    values = {name: _text(_dig(document, path)) for name, path in SCALARS.items()}
    for index, tier in enumerate(document["tiers"]):
        values |= {f"tiers-{index}-{key}": _text(tier.get(key)) for key in TIER_FIELDS}
    for index, reward in enumerate(document["rewards"]):
        values |= {f"rewards-{index}-{key}": _text(reward.get(key)) for key in REWARD_FIELDS}
    return ProgramForm(values, len(document["tiers"]) + SPARE_ROWS, len(document["rewards"]) + SPARE_ROWS)


def read_form(submitted: Mapping[str, str], language: Language) -> tuple[Program | None, ProgramForm]:
    """The program a submitted form describes, or None with the errors shown on its fields, in the
    reader's language. What was typed stays as typed, rows marked for removal included."""
    values = {name: value.strip() for name, value in submitted.items() if isinstance(value, str)}
    document: dict[str, Any] = {}
    for name, path in SCALARS.items():
        _place(document, path, values.get(name, ""))
    tiers, tier_rows = _rows(values, "tiers", TIER_FIELDS)
    rewards, reward_rows = _rows(values, "rewards", REWARD_FIELDS)
    taken = {reward["id"] for reward in rewards if reward.get("id")}
    for row, reward in zip(reward_rows, rewards, strict=True):
        if not reward.get("id"):
            reward["id"] = _new_reward_id(reward.get("name", ""), row, taken)
            taken.add(reward["id"])
        if reward.get("type") == "free_shipping":
            reward.pop("value", None)
    document["tiers"] = tiers
    document["rewards"] = rewards
    form = ProgramForm(values, _row_count(values, "tiers"), _row_count(values, "rewards"))
    try:
        return Program.model_validate(document), form
    except ValidationError as invalid:
        form.errors = _placed_errors(invalid, tier_rows, reward_rows, language)
        return None, form


def tiers_of(submitted: Mapping[str, str]) -> tuple[str, list[dict[str, str]]]:
    """Just the window and the tiers, for the live preview: the rest of the form may still be half typed."""
    values = {name: value.strip() for name, value in submitted.items() if isinstance(value, str)}
    tiers, _ = _rows(values, "tiers", TIER_FIELDS)
    return values.get("tier_window", ""), tiers


def _rows(values: Mapping[str, str], prefix: str, fields: tuple[str, ...]) -> tuple[list[dict[str, str]], list[int]]:
    """The filled rows not marked for removal, with the form row each came from."""
    rows, origins = [], []
    for index in range(min(_row_count(values, prefix), MAX_ROWS)):
        row = {key: values.get(f"{prefix}-{index}-{key}", "") for key in fields}
        if values.get(f"{prefix}-{index}-remove") or not any(v for k, v in row.items() if k not in ("id", "type")):
            continue
        rows.append({key: value for key, value in row.items() if value != "" or key == "name"})
        origins.append(index)
    return rows, origins


def _row_count(values: Mapping[str, str], prefix: str) -> int:
    indexes = [int(m.group(1)) for name in values if (m := re.fullmatch(rf"{prefix}-(\d+)-\w+", name))]
    return max(indexes, default=-1) + 1


def field_labels(gettext: Gettext, currency: str | None, tier_rows: int, reward_rows: int) -> dict[str, str]:
    """Every field's label, as the form shows it and as the error summary names it."""
    labels = {
        "earn-points_per_unit": gettext("Points per %(currency)s spent")
        % {"currency": currency or gettext("unit of currency")},
        "tier_window": gettext("Spend counted over"),
        "referrals-friend_discount_percent": gettext("Friend's discount on a first order (%)"),
        "referrals-advocate_points": gettext("Points for the referrer when a friend's first order counts"),
        "referrals-hold_days": gettext("Days to wait for a refund before paying the referrer"),
        "emails-care_delay_hours": gettext("Hours after fulfilment to send the care email"),
    }
    for row in range(tier_rows):
        n = {"n": row + 1}
        labels[f"tiers-{row}-name"] = gettext("Tier %(n)s name") % n
        labels[f"tiers-{row}-threshold"] = gettext("Tier %(n)s threshold") % n
        labels[f"tiers-{row}-multiplier"] = gettext("Tier %(n)s multiplier") % n
        labels[f"tiers-{row}-remove"] = gettext("Remove tier %(n)s") % n
    for row in range(reward_rows):
        n = {"n": row + 1}
        labels[f"rewards-{row}-name"] = gettext("Reward %(n)s name") % n
        labels[f"rewards-{row}-points_cost"] = gettext("Reward %(n)s points") % n
        labels[f"rewards-{row}-type"] = gettext("Reward %(n)s kind") % n
        labels[f"rewards-{row}-value"] = gettext("Reward %(n)s value") % n
        labels[f"rewards-{row}-remove"] = gettext("Remove reward %(n)s") % n
    return labels


def _placed_errors(
    invalid: ValidationError, tier_rows: list[int], reward_rows: list[int], language: Language
) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in invalid.errors():
        location = [part for part in error["loc"] if not isinstance(part, str) or part not in _UNION_TAGS]
        broken = (error.get("ctx") or {}).get("error")
        if isinstance(broken, RuleBroken):
            # A rule across fields names the field it is best shown beside.
            location = [*location, *broken.place]
        errors.setdefault(_field_of(location, tier_rows, reward_rows), _message(error, language))
    return errors


# Pydantic adds the branch of an Annotated union to a location; it is not a place in the form.
_UNION_TAGS = frozenset({"function-after[_value_fits_type()]"})


def _field_of(location: list[Any], tier_rows: list[int], reward_rows: list[int]) -> str:
    if len(location) >= 2 and location[0] in ("tiers", "rewards") and isinstance(location[1], int):
        rows = tier_rows if location[0] == "tiers" else reward_rows
        row = rows[location[1]] if location[1] < len(rows) else location[1]
        return f"{location[0]}-{row}-{location[2] if len(location) >= 3 else 'name'}"
    for name, path in SCALARS.items():
        if tuple(location[: len(path)]) == path:
            return name
    # The list itself (no tier left): shown on the first row, where a tier would be typed.
    return f"{location[0]}-0-name" if location and location[0] == "rewards" else "tiers-0-name"


def _message(error: Mapping[str, Any], language: Language) -> str:
    gettext = translations(language).gettext
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing" or kind == "string_too_short":
        return gettext("Fill this in.")
    if kind in ("int_parsing", "int_from_float"):
        return gettext("Enter a whole number.")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "finite_number"):
        return gettext("Enter a number.")
    if kind == "greater_than":
        return gettext("Enter a number above %(bound)s.") % {"bound": number(context["gt"], language)}
    if kind == "greater_than_equal":
        return gettext("Enter a number of at least %(bound)s.") % {"bound": number(context["ge"], language)}
    if kind == "less_than":
        return gettext("Enter a number below %(bound)s.") % {"bound": number(context["lt"], language)}
    if kind == "less_than_equal":
        return gettext("Enter a number of at most %(bound)s.") % {"bound": number(context["le"], language)}
    if kind == "decimal_max_places":
        return gettext("Use at most %(places)s decimal places.") % {"places": context.get("decimal_places")}
    if kind == "decimal_max_digits":
        return gettext("That number is too long.")
    if kind == "string_too_long":
        return gettext("Shorten this to %(length)s characters.") % {"length": context.get("max_length")}
    if kind == "literal_error":
        return gettext("Choose one of the options.")
    if kind == "string_pattern_mismatch":
        return gettext("Use lower-case letters, digits and dashes.")
    if kind == "too_long":
        return gettext("That is more than this list can hold.")
    if kind == "too_short":
        return gettext("Keep at least one tier.")
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    # The program's own rules (loyalty/program.py) have their messages in the catalogue too.
    return gettext(message)


def _new_reward_id(name: str, row: int, taken: set[str]) -> str:
    """An id for a new reward, from its name, unlike any other reward's."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    base = slug if slug and slug[0].isalnum() else f"reward-{row + 1}"
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate


def _dig(document: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = document
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _place(document: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    target = document
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def _text(value: Any) -> str:
    return "" if value is None else str(value)
