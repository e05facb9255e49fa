"""The program's shape and validation."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from loyalty.program import DEFAULT_PROGRAM_DOCUMENT, Program, RuleBroken, default_program

# The default program as the contract prints it (tests/data/README.md says where it comes from).
CONTRACT_DEFAULT = Path(__file__).resolve().parents[1] / "data" / "default_program.json"


def test_default_program_is_the_contracts():
    # given the contract's default program
    contract = json.loads(CONTRACT_DEFAULT.read_text())

    # when ours goes through validation and back
    ours = default_program().document()

    # then it is the same document, and so is the one the code starts from
    assert ours == contract
    assert contract == DEFAULT_PROGRAM_DOCUMENT


def _with(**changes):
    document = json.loads(json.dumps(DEFAULT_PROGRAM_DOCUMENT))
    for path, value in changes.items():
        target = document
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        last = keys[-1]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return document


@pytest.mark.parametrize(
    ("_case", "document"),
    [
        ("first tier above zero", _with(tiers__0__threshold="10")),
        ("thresholds not rising", _with(tiers__2__threshold="100")),
        ("duplicate tier names", _with(tiers__1__name="gold")),
        ("duplicate reward ids", _with(rewards__1__id="5-off")),
        ("duplicate reward names", _with(rewards__1__name="5 OFF your order")),
        ("percentage over 100", _with(rewards__1__value="150")),
        ("fixed without value", _with(rewards__0={"id": "x", "name": "X", "points_cost": 5, "type": "fixed_amount"})),
        ("free shipping with value", _with(rewards__2__value="5")),
        ("unknown window", _with(tier_window="forever")),
        ("negative rate", _with(earn={"points_per_unit": -1})),
        ("unknown field", _with(bonus=1)),
        ("no tiers", _with(tiers=[])),
        ("infinite threshold", _with(tiers__1__threshold="Infinity")),
        ("zero-cost reward", _with(rewards__0__points_cost=0)),
    ],
)
def test_invalid_programs_are_refused(_case, document):
    with pytest.raises(ValidationError):
        Program.model_validate(document)


def test_a_program_keeps_money_as_decimal_strings():
    program = Program.model_validate(_with(tiers__1__threshold="250.50", earn={"points_per_unit": 1.5}))
    document = program.document()
    assert document["tiers"][1]["threshold"] == "250.50"
    assert document["earn"]["points_per_unit"] == 1.5


@pytest.mark.parametrize(
    ("document", "place"),
    [
        (_with(tiers__0__threshold="10"), ("tiers", 0, "threshold")),
        (_with(tiers__2__threshold="100"), ("tiers", 2, "threshold")),
        (_with(tiers__2__name="SILVER"), ("tiers", 2, "name")),
        (_with(rewards__2__name="5 off your order"), ("rewards", 2, "name")),
        (_with(rewards__1__value="150"), ("rewards", 1, "value")),
    ],
)
def test_a_rule_across_fields_names_the_field_to_show_it_beside(document, place):
    with pytest.raises(ValidationError) as refused:
        Program.model_validate(document)
    [error] = refused.value.errors()
    broken = error["ctx"]["error"]
    assert isinstance(broken, RuleBroken)
    # the model's own location, then the rule's place inside it
    location = [part for part in error["loc"] if isinstance(part, int) or part in ("tiers", "rewards")]
    assert (*location, *broken.place) == place
