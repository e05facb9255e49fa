"""The project's own files agree with each other: pins and the lock, the one version, the licence, the
pre-commit hooks and `python3 run.py check`."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

import yaml
from click.testing import CliRunner

from app import __version__
from app.cli import main
from app.http.main import create_app

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK = (ROOT / "requirements" / "lock.txt").read_text()


def _name(requirement: str) -> str:
    """A distribution's name the way pip compares names: `SQLAlchemy[asyncio]` and `sqlalchemy` alike."""
    name = re.split(r"[\[=<>!~;\s]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_pins() -> dict[str, str]:
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"].values()
    requirements = [*project["dependencies"], *(r for extra in extras for r in extra)]
    return {_name(r): r.split("==", 1)[1] if "==" in r else r for r in requirements}


def _lock_pins() -> dict[str, str]:
    return {_name(m.group(1)): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.\[\]-]+)==(\S+)", LOCK, re.M)}


def _locked_for_pyproject() -> set[str]:
    """Packages the lock says it holds because pyproject.toml asks for them (`# via dangol (pyproject.toml)`)."""
    blocks = re.split(r"^(?=[A-Za-z0-9])", LOCK, flags=re.M)
    return {_name(block) for block in blocks if "dangol (pyproject.toml)" in block}


def _run_py() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run", ROOT / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_pin_of_pyproject_is_in_the_lock_at_the_same_version():
    # given the pins of pyproject.toml (dependencies and every extra) and requirements/lock.txt
    pins, locked = _pyproject_pins(), _lock_pins()

    # when each is looked up in the lock
    differing = {name: (version, locked.get(name)) for name, version in pins.items() if locked.get(name) != version}

    # then each is there as pinned; otherwise `python3 run.py lock` was not run after the pin changed
    assert differing == {}


def test_the_lock_holds_nothing_for_pyproject_that_pyproject_no_longer_asks_for():
    assert _locked_for_pyproject() == set(_pyproject_pins())


def test_every_pin_of_pyproject_is_exact():
    assert [r for r in _pyproject_pins().values() if not re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", r)] == []


def test_the_lock_pins_every_package_with_hashes_and_names_no_index():
    # given the lock's entries
    entries = re.split(r"^(?=[A-Za-z0-9])", LOCK, flags=re.M)[1:]

    # then each carries at least one hash (pip's --require-hashes insists), and the lock, read on
    # another machine, sends pip to no index of this one
    assert len(entries) == len(_lock_pins()) > len(_pyproject_pins())
    assert [e.split()[0] for e in entries if "--hash=sha256:" not in e] == []
    assert not re.search(r"^\s*--(extra-)?index-url|^\s*--find-links", LOCK, re.M)


def test_the_lock_was_written_by_run_py_lock():
    assert "#    python3 run.py lock\n" in LOCK


def test_the_version_is_written_once_and_read_everywhere(settings):
    # given the version in app/__init__.py
    # when pyproject.toml, the HTTP app and the command line are asked
    declared = PYPROJECT["project"]
    from_cli = CliRunner().invoke(main, ["--version"])

    # then each gives that version
    assert "version" not in declared
    assert declared["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "app.__version__"}
    assert create_app(settings).openapi()["info"]["version"] == __version__
    assert from_cli.exit_code == 0
    assert from_cli.output == f"dangol, version {__version__}\n"


def test_the_licence_file_is_the_licence_pyproject_declares():
    text = (ROOT / "LICENSE").read_text()
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    assert text.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) \d{4} The Dangol authors$", text, re.M)


def test_the_pre_commit_hooks_run_what_run_py_check_runs():
    # given the hooks and `python3 run.py check`'s steps
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]

    # when
    entries = [hook["entry"] for hook in hooks]

    # then each step is a hook, run from .venv on the whole project as CI runs it
    assert entries == [".venv/bin/python -m " + " ".join(step) for step in _run_py().CHECKS]
    assert all(repo["repo"] == "local" for repo in config["repos"])
    assert all(hook["language"] == "system" and hook["pass_filenames"] is False for hook in hooks)


def test_the_changelog_has_an_entry_for_this_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text
    assert re.search(rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.M)
