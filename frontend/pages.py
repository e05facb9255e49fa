"""Rendering pages: Jinja2 environments per language (gettext from frontend/i18n.py), filters that
format money, numbers and times for the reader, and templates that only display what they are given.

Two kinds of page: HTML (the admin, the dev store, the landing page) and the storefront's Liquid
body, which Shopify renders again as Liquid inside the shop's theme. In the Liquid kind every value
that comes from a request, a shopper or a merchant is made inert for Liquid as well as HTML
(`liquid_inert`): `{{` and `{%` in a name must reach the shopper as text, never run.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from frontend import formatting
from frontend.i18n import DEFAULT, Language, translations

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
Kind = Literal["html", "liquid"]


def liquid_inert(value: Any) -> Any:
    """A value as HTML that Liquid leaves alone: escaped, with its braces as character references
    (which the browser shows as braces). Markup we built ourselves passes through."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return Markup(str(escape(value)).replace("{", "&#123;").replace("}", "&#125;"))


def _language(context: Context) -> Language:
    language = context.get("language", DEFAULT)
    return language if language in ("en", "ko") else DEFAULT


@pass_context
def _money(context: Context, amount: Any, currency: str | None = None) -> str:
    return formatting.money(amount, currency or context.get("currency"), _language(context))


@pass_context
def _number(context: Context, value: Any) -> str:
    return formatting.number(value, _language(context))


@pass_context
def _percent(context: Context, share: Any) -> str:
    return formatting.percent(share, _language(context))


@pass_context
def _when(context: Context, instant: Any) -> str:
    return formatting.when(instant, context.get("time_zone"), _language(context))


@pass_context
def _day(context: Context, instant: Any) -> str:
    return formatting.day(instant, context.get("time_zone"), _language(context))


def _gettext_for(language: Language, kind: Kind) -> tuple[Callable[..., Markup], Callable[..., Markup]]:
    """`_("Spend %(amount)s more", amount=…)` and `ngettext("%(n)s point", "%(n)s points", n, n=…)`:
    the translated text, with each value escaped as its output would be. Jinja's own newstyle gettext
    escapes values for HTML only, and a tier named `{{ customer.email }}` must also reach a Liquid
    body inert."""
    catalogue = translations(language)
    inert = liquid_inert if kind == "liquid" else escape

    def filled(text: str, values: dict[str, Any]) -> Markup:
        return Markup(text) % {name: inert(value) for name, value in values.items()} if values else Markup(text)

    def gettext(message: str, **values: Any) -> Markup:
        return filled(catalogue.gettext(message), values)

    def ngettext(singular: str, plural: str, count: int | Decimal, **values: Any) -> Markup:
        return filled(catalogue.ngettext(singular, plural, _whole(count)), values)

    return gettext, ngettext


def _whole(count: int | Decimal) -> int:
    """gettext's plural rules count in whole numbers (a rate of 1.0 points is "1 point"); a fraction
    reads as plural in both of our languages, so it is counted as many."""
    whole = int(count)
    return whole if whole == count else max(whole, 2)


@cache
def environment(kind: Kind = "html", language: Language = DEFAULT) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "liquid"]),
        finalize=liquid_inert if kind == "liquid" else None,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    gettext, ngettext = _gettext_for(language, kind)
    env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)
    env.filters.update(money=_money, number=_number, percent=_percent, when=_when, day=_day)
    return env


def render(name: str, *, language: Language = DEFAULT, **context: Any) -> str:
    return environment("html", language).get_template(name).render(language=language, **context)


def render_liquid(name: str, *, language: Language = DEFAULT, **context: Any) -> str:
    """A body for Shopify to render as Liquid: see the module's note."""
    return environment("liquid", language).get_template(name).render(language=language, **context)
