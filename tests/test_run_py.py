"""`python3 run.py test` finds a Chromium for the browser tests before it runs pytest: Debian's, else
Playwright's own (downloaded then), and without either it stops and says how to get one."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.test_project import _run_py


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    """run.py on a machine without Debian's Chromium, nor Playwright's, nor the internet; pytest is not
    started but recorded (`run.pytest_calls`), and so are downloads (`run.downloads`)."""
    module = _run_py()
    monkeypatch.delenv("DANGOL_CHROMIUM", raising=False)
    monkeypatch.setattr(module, "DEBIAN_CHROMIUM", tmp_path / "usr-bin-chromium")
    monkeypatch.setattr(module, "_playwright_chromium", lambda: None)
    module.downloads = []
    monkeypatch.setattr(module, "_download_playwright_chromium", lambda: module.downloads.append("chromium"))
    module.pytest_calls = []

    def call(command: list[str], env: dict[str, str] | None = None) -> int:
        module.pytest_calls.append((command, env))
        return 0

    monkeypatch.setattr(module, "_call", call)
    return module


def test_without_any_chromium_it_stops_before_pytest_and_says_how_to_get_one(run, capsys):
    # when
    code = run.run_tests(["-q"])

    # then Playwright's was tried, pytest never ran, and both ways to a Chromium are printed
    assert code != 0
    assert run.downloads == ["chromium"]
    assert run.pytest_calls == []
    said = capsys.readouterr().err
    assert "apt-get install chromium fonts-noto-cjk" in said
    assert ".venv/bin/python -m playwright install chromium" in said


def test_debians_chromium_is_used_when_it_is_there(run):
    # given
    run.DEBIAN_CHROMIUM.write_text("")

    # when
    assert run.run_tests(["-q"]) == 0

    # then nothing was downloaded, and pytest was told which Chromium to drive
    [(command, env)] = run.pytest_calls
    assert command[-3:] == ["-m", "pytest", "-q"]
    assert env["DANGOL_CHROMIUM"] == str(run.DEBIAN_CHROMIUM)
    assert run.downloads == []


def test_playwrights_own_chromium_is_downloaded_when_there_is_no_other(run, monkeypatch, tmp_path):
    # given a download that works
    downloaded = tmp_path / "ms-playwright" / "chrome"
    monkeypatch.setattr(run, "_playwright_chromium", lambda: str(downloaded) if run.downloads else None)

    # when
    assert run.run_tests([]) == 0

    # then
    [(_, env)] = run.pytest_calls
    assert env["DANGOL_CHROMIUM"] == str(downloaded)
