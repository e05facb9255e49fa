"""A clone of the repository is all the tests need: nothing reads a folder beside the checkout, and the
Shopify data kept in tests/data/shopify is accounted for in its PROVENANCE.md."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.shopify import DATA, admin_schema_unstable_sdl, data_file

ROOT = Path(__file__).resolve().parents[1]

# Written, like the cases below, so that this file does not match itself.
BESIDE_THE_CHECKOUT = re.compile(r"\.\./shared\b|parents\[\d+\]\s*/\s*[\"']shared[\"']")

SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}
SKIPPED_DIRS |= {"var", "build", "dist"}  # what `dangol dev` and packaging leave behind (.gitignore)
SKIPPED_DIRS |= {".cache"}  # Node and the Shopify CLI that scripts/theme_check.py installs (.gitignore)
# .ci/run looks for that folder only to leave it behind: it runs the tests from a clone made elsewhere.
ALLOWED = {Path("tests/data"), Path(".ci/run")}


def _files() -> Iterator[Path]:
    for folder, dirs, files in os.walk(ROOT):
        here = Path(folder).relative_to(ROOT)
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info") and here / d not in ALLOWED]
        yield from (here / name for name in files if here / name not in ALLOWED)


def test_nothing_reads_a_folder_beside_the_checkout():
    # given every file of the repository
    # when each is searched for a path that leaves it
    offenders = []
    for path in _files():
        try:
            text = (ROOT / path).read_text()
        except UnicodeDecodeError:
            continue
        offenders += [f"{path}: {match.group(0)}" for match in BESIDE_THE_CHECKOUT.finditer(text)]

    # then there is none
    assert offenders == []


@pytest.mark.parametrize(
    ("_case", "text"),
    [
        ("relative path", 'open("..' + '/shared/shopify/x.json")'),
        ("from a parent", "Path(__file__).resolve().parents[2] / " + '"shared" / "shopify"'),
    ],
)
def test_the_search_recognises_a_path_beside_the_checkout(_case, text):
    assert BESIDE_THE_CHECKOUT.search(text)


def test_every_shopify_data_file_is_in_its_provenance():
    # given the files of tests/data/shopify, and what PROVENANCE.md says
    provenance = (DATA / "PROVENANCE.md").read_text()
    files = [p.relative_to(DATA) for p in DATA.rglob("*") if p.is_file()]

    # when each is looked for there, by name or by the folder it shares with others of its kind
    unnamed = [
        str(path)
        for path in files
        if path.name not in {"PROVENANCE.md", "LICENSES.md"}
        and f"`{path.as_posix()}`" not in provenance
        and f"`{path.parent.as_posix()}/`" not in provenance
    ]

    # then none is unaccounted for
    assert len(files) > 25
    assert unnamed == []


def _git_blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def test_the_schemas_are_the_blobs_their_provenance_names():
    # given
    introspection = data_file("schema/admin_2025-01.introspection.json.gz").read_bytes()

    # when / then: the blob ids in PROVENANCE.md, which the source repositories can be asked for
    assert _git_blob_id(introspection) == "462bfd03cc06d5e304e78553140142dac38f7009"
    assert _git_blob_id(admin_schema_unstable_sdl().encode()) == "8d54fabf2329748d5094899a873feff7c421af9c"


def test_a_missing_data_file_fails_instead_of_skipping():
    # given / when
    with pytest.raises(pytest.fail.Exception, match="missing from the repository"):
        data_file("payloads/2026-04/no__such_topic.json")
