"""Every string a page shows exists in Korean: the templates' and the pages' strings (extracted the
way `pybabel extract -F frontend/locales/babel.cfg` does), and the program's own rule messages, which
the program page shows next to a field. Placeholders agree between the two languages."""

from __future__ import annotations

import re
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.checkers import python_format
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from frontend.i18n import accepted_languages, catalogue_path, choose, language_of
from frontend.pages import render, render_liquid
from loyalty.program import DEFAULT_PROGRAM_DOCUMENT, Program

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
METHODS = [
    ("app/http/routes/admin/**.py", "python"),
    ("app/http/routes/proxy.py", "python"),
    ("frontend/templates/**.html", "jinja2"),
]


def _used() -> set[str]:
    found = extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS)
    # A plural message is known by its singular form.
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def _rule_messages() -> set[str]:
    source = (ROOT / "loyalty" / "program.py").read_text()
    return set(re.findall(r'raise RuleBroken\("([^"]+)"', source))


@pytest.fixture(scope="module")
def korean():
    with catalogue_path("ko").open("rb") as handle:
        return read_po(handle, locale="ko")


def test_the_pages_use_strings_at_all():
    assert len(_used()) > 150


def test_every_string_a_page_shows_has_a_korean_translation(korean):
    missing = sorted(m for m in _used() | _rule_messages() if not (korean.get(m) and korean.get(m).string))
    assert missing == []


def test_the_catalogue_holds_no_string_nothing_uses(korean):
    ids = [m.id if isinstance(m.id, str) else m.id[0] for m in korean if m.id]
    stale = sorted(i for i in ids if i not in _used() | _rule_messages())
    assert stale == []


def test_placeholders_agree_between_the_languages(korean):
    for message in korean:
        if message.id and message.python_format:
            python_format(korean, message)  # raises on a missing or extra %(name)s


@pytest.mark.parametrize(
    ("hints", "language"),
    [
        (["ko-KR"], "ko"),
        (["ko_KR"], "ko"),
        (["fr", "ko"], "ko"),
        (["fr", None, "de"], "en"),
        ([None, *accepted_languages("ko;q=0.8, en;q=0.9")], "en"),
        (["not a tag"], "en"),
    ],
)
def test_the_first_language_we_speak_is_chosen(hints, language):
    assert choose(hints) == language


def test_a_tag_we_do_not_speak_is_no_language():
    assert language_of("ja-JP") is None


def test_korean_pages_speak_korean():
    page = render("landing.html", language="ko", dev_links=None, install_url="/auth")
    assert "상점 도메인" in page
    assert 'lang="ko"' in page


def test_a_liquid_body_keeps_a_merchants_braces_inert_inside_translated_text():
    # given a tier whose name holds Liquid, placed into a translated sentence
    body = render_liquid(
        "admin/program/preview.html",
        language="ko",
        preview={"rows": [("{{ customer.email }}", 0, 1), ("{% if true %}RAN{% endif %}", 100, 0)]},
    )
    # then no brace reaches the body for Liquid to run
    assert "{{" not in body
    assert "{%" not in body
    assert "&#123;&#123; customer.email &#125;&#125;" in body


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (Decimal("1"), "1 point for every $1.00 you spend"),
        (Decimal("1.0"), "1 point for every $1.00 you spend"),
        (Decimal("2"), "2 points for every $1.00 you spend"),
        (Decimal("1.5"), "1.5 points for every $1.00 you spend"),
        (Decimal("0.5"), "0.5 points for every $1.00 you spend"),
    ],
)
def test_a_rate_of_points_takes_the_plural_its_number_needs(rate, expected):
    program = Program.model_validate(DEFAULT_PROGRAM_DOCUMENT | {"earn": {"points_per_unit": str(rate)}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Babel warns when handed a plural count it cannot use
        body = render_liquid("storefront/earning.html", language="en", program=program, currency="USD")
    assert expected in body
