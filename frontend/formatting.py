"""Numbers, money and times as a person in each language expects them (Babel's CLDR data)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal, format_percent

from frontend.i18n import Language

# Babel's locale for each language: the region decides grouping and the currency's symbol placement.
# Parsed once: Babel parses a locale given by name on every call, a third of formatting a number.
BABEL_LOCALE: dict[Language, Locale] = {"en": Locale.parse("en_US"), "ko": Locale.parse("ko_KR")}


def money(amount: Decimal | int | str | None, currency: str | None, language: Language) -> str:
    """`$1,234.50`, `₩12,000`, `12.500 KWD`: the currency's own digits, the reader's conventions."""
    if amount is None:
        return ""
    if not currency:
        return number(amount, language)
    return str(format_currency(Decimal(str(amount)), currency, locale=BABEL_LOCALE[language]))


def number(value: Decimal | int | str, language: Language) -> str:
    return str(format_decimal(Decimal(str(value)), locale=BABEL_LOCALE[language]))


def percent(share: float | Decimal, language: Language) -> str:
    """`share` as a fraction (0.42 → 42%)."""
    return str(format_percent(share, locale=BABEL_LOCALE[language]))


# Minutes are enough for a history. Korean reads 오후 (CLDR's wide day period) where CLDR's short
# Korean time pattern would print "PM".
TIME_PATTERN: dict[Language, str] = {"en": "h:mm a", "ko": "aaaa h:mm"}


def when(instant: datetime | None, time_zone: str | None, language: Language) -> str:
    """A moment in the shop's time zone: `Nov 29, 2026, 6:21 PM` / `2026. 11. 29. 오후 6:21`."""
    if instant is None:
        return ""
    zone = ZoneInfo(time_zone) if time_zone else ZoneInfo("UTC")
    local = instant.astimezone(zone)
    locale = BABEL_LOCALE[language]
    moment = str(get_datetime_format("medium", locale=locale))
    date_text = format_date(local, format="medium", locale=locale)
    time_text = format_time(local, TIME_PATTERN[language], locale=locale)
    return moment.replace("{1}", date_text).replace("{0}", time_text)


def day(instant: datetime | None, time_zone: str | None, language: Language) -> str:
    if instant is None:
        return ""
    zone = ZoneInfo(time_zone) if time_zone else ZoneInfo("UTC")
    return str(format_date(instant.astimezone(zone), format="medium", locale=BABEL_LOCALE[language]))
