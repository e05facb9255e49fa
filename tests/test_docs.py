"""The map stays true: every repository path the docs name exists, and every `path::name` names a
function or class defined in that file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webhooks.endpoint import accepted_topics

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# `path` or `path::Name.attr` in backticks, where the path starts at one of the repository's folders
# or is a file at its top.
TOP = ("app/", "loyalty/", "referrals/", "crm/", "webhooks/", "frontend/", "tests/", "bench/", "docs/", "scripts/")
MENTION = re.compile(r"`([A-Za-z0-9_./-]+?)(?:::([A-Za-z_][A-Za-z0-9_.]*))?`")
TOP_FILES = {"shopify.app.toml", "pyproject.toml", "run.py", "README.md", "LICENSE", "CHANGELOG.md"}


def _mentions() -> list[tuple[str, str, str | None]]:
    found = []
    for doc in DOCS:
        for path, name in MENTION.findall(doc.read_text()):
            # `app/uninstalled` and its like are Shopify's topics, not folders.
            if (path.startswith(TOP) or path in TOP_FILES) and path not in accepted_topics():
                found.append((doc.name, path, name or None))
    return found


MENTIONS = _mentions()


def test_the_docs_name_repository_paths():
    assert len(MENTIONS) > 30


@pytest.mark.parametrize(("doc", "path", "name"), MENTIONS, ids=[f"{d}:{p}:{n}" for d, p, n in MENTIONS])
def test_a_path_named_in_the_docs_exists(doc, path, name):
    target = ROOT / path
    assert target.exists(), f"{doc} names {path}, which is not in the repository"
    if name is not None:
        defined = name.split(".")[0]
        source = target.read_text()
        assert re.search(rf"^\s*(async def|def|class) {defined}\b|^{defined}\s*[:=]", source, re.M), (
            f"{doc} names {path}::{name}, which that file does not define"
        )
