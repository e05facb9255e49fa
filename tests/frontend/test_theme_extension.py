"""The theme app extension (frontend/extensions/dangol-loyalty): what Shopify's deploy and review
would refuse or punish, checked without Shopify: the storefront weight budget, block schemas,
translations in both languages, scripts that never block rendering, and escaped output."""

from __future__ import annotations

import gzip
import json
import re
import tomllib
from functools import cache
from pathlib import Path

import pytest

from frontend.theme import EXTENSION_DIR

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = sorted((EXTENSION_DIR / "blocks").glob("*.liquid"))
LIQUID = sorted(EXTENSION_DIR.glob("*/*.liquid"))
LOCALES = EXTENSION_DIR / "locales"
STOREFRONT_LOCALES = ("en.default.json", "ko.json")
SCHEMA_LOCALES = ("en.default.schema.json", "ko.schema.json")

# Shopify suggests 10 KB of JavaScript per app block (compressed); CSS gets a looser budget of ours.
JS_BUDGET_GZIP = 10_000
CSS_BUDGET_GZIP = 20_000
LOCALE_FILE_LIMIT = 15_000  # Shopify refuses to deploy a bigger locale file
TARGETS = {"section", "head", "compliance_head", "body"}

SCHEMA = re.compile(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", re.S)
COMMENT = re.compile(r"{%-?\s*comment\s*-?%}.*?{%-?\s*endcomment\s*-?%}", re.S)
TRANSLATED = re.compile(r"""(['"])([\w.-]+)\1\s*\|\s*t\b""")
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)
OUTPUT = re.compile(r"{{-?(.*?)-?}}", re.S)
LITERAL = r"""(?:'[^']*'|"[^"]*")"""
ARGUMENT = rf"\w+\s*:\s*{LITERAL}"
# Our own text: a translation whose arguments, if any, are literals too.
OUR_TRANSLATION = re.compile(rf"{LITERAL}\s*\|\s*t(?:\s*:\s*{ARGUMENT}(?:\s*,\s*{ARGUMENT})*)?")
ROUTE = re.compile(r"routes\.\w+")


def _gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6))


@cache
def _schema(block: Path) -> dict[str, object]:
    found = SCHEMA.findall(block.read_text())
    assert len(found) == 1, f"{block.name}: one {{% schema %}} expected, found {len(found)}"
    schema = json.loads(found[0])
    assert isinstance(schema, dict)
    return schema


def _liquid(path: Path) -> str:
    """The file's Liquid and HTML, without its comments and its schema."""
    return SCHEMA.sub("", COMMENT.sub("", path.read_text()))


def _keys(tree: object, prefix: str = "") -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    return {key for name, sub in tree.items() for key in _keys(sub, f"{prefix}{name}.")}


def _locale_keys(name: str) -> set[str]:
    return {key.removesuffix(".") for key in _keys(json.loads((LOCALES / name).read_text()))}


def _schema_strings(tree: object) -> list[str]:
    if isinstance(tree, dict):
        return [s for value in tree.values() for s in _schema_strings(value)]
    if isinstance(tree, list):
        return [s for value in tree for s in _schema_strings(value)]
    return [tree] if isinstance(tree, str) else []


def _assets(kind: str) -> list[tuple[str, Path]]:
    return [
        (block.name, EXTENSION_DIR / "assets" / str(_schema(block)[kind])) for block in BLOCKS if kind in _schema(block)
    ]


def test_the_extension_has_the_layout_the_shopify_cli_expects():
    config = tomllib.loads((EXTENSION_DIR / "shopify.extension.toml").read_text())
    assert config["type"] == "theme"
    assert config["name"] == EXTENSION_DIR.name
    assert {p.name for p in EXTENSION_DIR.iterdir() if p.is_dir()} <= {"blocks", "assets", "snippets", "locales"}
    assert {p.name for p in LOCALES.iterdir()} == {*STOREFRONT_LOCALES, *SCHEMA_LOCALES}
    assert BLOCKS


def test_shopify_app_toml_extension_directories_find_this_extension():
    # given the globs `shopify app deploy` reads
    globs = tomllib.loads((ROOT / "shopify.app.toml").read_text())["extension_directories"]

    # when each is expanded from the app's root, keeping the folders that hold an extension
    found = {
        path.resolve()
        for pattern in globs
        for path in ROOT.glob(pattern)
        if (path / "shopify.extension.toml").is_file()
    }

    # then ours is among them
    assert EXTENSION_DIR.resolve() in found


@pytest.mark.parametrize(("block", "asset"), _assets("javascript"), ids=lambda v: getattr(v, "name", v))
def test_each_blocks_javascript_is_within_budget(block, asset):
    assert asset.is_file(), f"{block} names a missing asset: {asset.name}"
    assert _gzip_size(asset) <= JS_BUDGET_GZIP


@pytest.mark.parametrize(("block", "asset"), _assets("stylesheet"), ids=lambda v: getattr(v, "name", v))
def test_each_blocks_stylesheet_is_within_budget(block, asset):
    assert asset.is_file(), f"{block} names a missing asset: {asset.name}"
    assert _gzip_size(asset) <= CSS_BUDGET_GZIP


def test_the_embed_loads_its_script_through_its_schema():
    # Only then does Shopify add it for the shopper, once per page and deferred, and measure it.
    assert _schema(EXTENSION_DIR / "blocks" / "loyalty-launcher.liquid")["javascript"] == "launcher.js"


@pytest.mark.parametrize("block", BLOCKS, ids=lambda p: p.name)
def test_each_block_schema_targets_a_place_shopify_knows(block):
    schema = _schema(block)
    assert schema["target"] in TARGETS
    assert isinstance(schema["name"], str)


@pytest.mark.parametrize("locale", SCHEMA_LOCALES)
@pytest.mark.parametrize("block", BLOCKS, ids=lambda p: p.name)
def test_every_schema_translation_key_is_in_both_schema_locales(block, locale):
    used = {s.removeprefix("t:") for s in _schema_strings(_schema(block)) if s.startswith("t:")}
    assert used, f"{block.name} shows the merchant untranslated text"
    assert used - _locale_keys(locale) == set()


@pytest.mark.parametrize("locale", STOREFRONT_LOCALES)
@pytest.mark.parametrize("liquid", LIQUID, ids=lambda p: p.name)
def test_every_storefront_translation_key_is_in_both_locales(liquid, locale):
    used = {match.group(2) for match in TRANSLATED.finditer(_liquid(liquid))}
    assert used - _locale_keys(locale) == set()


@pytest.mark.parametrize(("english", "korean"), [STOREFRONT_LOCALES, SCHEMA_LOCALES])
def test_english_and_korean_have_the_same_keys(english, korean):
    assert _locale_keys(english) == _locale_keys(korean)


@pytest.mark.parametrize("locale", [*STOREFRONT_LOCALES, *SCHEMA_LOCALES])
def test_each_locale_file_is_under_shopifys_limit(locale):
    assert (LOCALES / locale).stat().st_size < LOCALE_FILE_LIMIT


def _unescaped(expression: str) -> bool:
    """Whether a Liquid output could carry text a merchant or shopper wrote without escaping it: only
    our own translations and Shopify's routes may go out as they are."""
    expression = expression.strip()
    if "|" in expression and expression.rsplit("|", 1)[1].strip() in {"escape", "json"}:
        return False
    return not (OUR_TRANSLATION.fullmatch(expression) or ROUTE.fullmatch(expression))


def _blocking_scripts(liquid: str) -> list[str]:
    """`<script src>` tags without `defer` or `async`: the browser stops drawing the page for each."""
    tags = SCRIPT_TAG.findall(liquid)
    return [t for t in tags if re.search(r"\ssrc\s*=", t) and not re.search(r"\s(defer|async)\b", t)]


@pytest.mark.parametrize("liquid", LIQUID, ids=lambda p: p.name)
def test_no_script_tag_blocks_the_page(liquid):
    assert _blocking_scripts(_liquid(liquid)) == []


@pytest.mark.parametrize("liquid", LIQUID, ids=lambda p: p.name)
def test_every_output_of_someone_elses_text_is_escaped(liquid):
    outputs = [m.group(1).strip() for m in OUTPUT.finditer(_liquid(liquid))]
    assert outputs, f"{liquid.name} outputs nothing"
    assert [o for o in outputs if _unescaped(o)] == []


@pytest.mark.parametrize(
    ("_case", "liquid", "unsafe"),
    [
        ("a setting", "{{ block.settings.label }}", True),
        ("a setting, escaped", "{{ block.settings.label | escape }}", False),
        ("a variable assigned from a setting", "{{ label }}", True),
        ("a translation", "{{ 'launcher.title' | t }}", False),
        ("a translation with literal arguments", "{{ 'a.b' | t: n: '[n]', m: \"[m]\" }}", False),
        ("a translation with a variable argument", "{{ 'a.b' | t: name: customer.first_name }}", True),
        ("a route", "{{ routes.account_login_url }}", False),
        ("escape, then something after it", "{{ block.settings.label | escape | append: x }}", True),
    ],
)
def test_the_escaping_check_tells_safe_from_unsafe(_case, liquid, unsafe):
    assert _unescaped(OUTPUT.fullmatch(liquid).group(1)) is unsafe


@pytest.mark.parametrize(
    ("_case", "tag", "blocking"),
    [
        ("plain", '<script src="a.js"></script>', True),
        ("deferred", '<script src="a.js" defer></script>', False),
        ("async", "<script async src='a.js'></script>", False),
        ("inline", "<script>1</script>", False),
        ("a data attribute only", '<script data-src="a.js" type="application/json"></script>', False),
    ],
)
def test_the_script_check_tells_blocking_from_deferred(_case, tag, blocking):
    assert bool(_blocking_scripts(tag)) is blocking
