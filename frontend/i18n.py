"""The languages pages speak: English (the text in the templates) and Korean (one gettext catalogue,
`frontend/locales/ko/LC_MESSAGES/messages.po`), and how a request's language is chosen.

Catalogues are read with Babel when first needed, so there is no compiled file to keep in step.
`tests/frontend/test_i18n.py` checks every string the templates use has its Korean translation.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
Language = Literal["en", "ko"]
LANGUAGES: tuple[Language, ...] = ("en", "ko")
DEFAULT: Language = "en"


def catalogue_path(language: Language) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: Language) -> NullTranslations:
    """English is the templates' own text; other languages come from their catalogue."""
    if language == DEFAULT:
        return NullTranslations()
    with catalogue_path(language).open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled)


def language_of(tag: str | None) -> Language | None:
    """`ko`, `ko-KR`, `ko_KR` → ko; a tag we do not speak or cannot read → None."""
    if not tag:
        return None
    try:
        parsed = Locale.parse(tag.strip().replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    return parsed.language if parsed.language in LANGUAGES else None


def accepted_languages(header: str | None) -> list[str]:
    """Accept-Language's tags, most wanted first (RFC 9110 quality values; a tie keeps the order
    given). A tag refused with q=0, or with a quality that is not a number in (0, 1], is dropped."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and 0 < weight <= 1:
            ranked.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def choose(hints: Iterable[str | None]) -> Language:
    """The first hint we speak (an explicit `locale` parameter first, then Accept-Language, then the
    shop's own language), else English."""
    for hint in hints:
        language = language_of(hint)
        if language is not None:
            return language
    return DEFAULT
