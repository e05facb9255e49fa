#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python 3.11+: makes `.venv`, installs Dangol, runs it.

python3 run.py dev      # the whole product on 127.0.0.1:8000 (`dangol dev`)
python3 run.py test     # every test (pytest); DATABASE_URL / REDIS_URL pick PostgreSQL and Redis; the
                        # browser tests drive Debian's /usr/bin/chromium, else Playwright's own Chromium
python3 run.py check    # ruff, formatting and mypy
python3 run.py lock     # write requirements/lock.txt again from pyproject.toml (extra arguments go to
                        # pip-compile, e.g. `--upgrade-package httpx`)
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".dangol-installed"
PYPROJECT = ROOT / "pyproject.toml"
# Every package of the runtime and of the `test` and `dev` extras, pinned with the hashes of its files.
# pip-compile resolves it for the Python that runs `lock`: CPython 3.11 on Linux x86_64, as in CI.
LOCK = ROOT / "requirements" / "lock.txt"
LOCK_COMMAND = [
    "--quiet",
    "--generate-hashes",
    "--allow-unsafe",  # pins pip and setuptools too: the editable install below builds with them
    "--strip-extras",
    "--extra=test",
    "--extra=dev",
    # The lock must not name this machine's package mirrors.
    "--no-emit-index-url",
    "--no-emit-find-links",
    f"--output-file={LOCK.relative_to(ROOT)}",
    "pyproject.toml",
]

# The browser tests (tests/browser/) drive this Chromium when it is there, else Playwright's own; run.py
# tells them which through DANGOL_CHROMIUM.
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
NO_CHROMIUM = """No Chromium for the browser tests (tests/browser/), and Playwright could not download its own.
Install one, then run the tests again:
  apt-get install chromium fonts-noto-cjk          (Debian or Ubuntu, as root)
  .venv/bin/python -m playwright install chromium  (Playwright's own Chromium; needs the internet)"""

# `python3 run.py check`; .pre-commit-config.yaml runs the same commands (tests/test_project.py checks).
CHECKS = (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy", "."])


def _create_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (run.py must say so on an older Python, not crash)
        sys.exit(f"Dangol needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)


def ensure_environment() -> None:
    """Create the virtualenv and install exactly the locked versions, again only when pyproject.toml or
    the lock changes."""
    _create_venv()
    wanted = hashlib.sha256(PYPROJECT.read_bytes() + LOCK.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing Dangol and its locked dependencies …", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--require-hashes", "-r", str(LOCK)], check=True)
    # The lock already holds every dependency; building with its setuptools keeps the install to it.
    subprocess.run([*pip, "--no-deps", "--no-build-isolation", "-e", str(ROOT)], check=True)
    STAMP.write_text(wanted)


def _pinned_pip_tools() -> str:
    """pip-tools as the `dev` extra pins it, so `lock` works even when the lock itself is broken."""
    import tomllib  # here, so that Python 3.10 still gets run.py's message about the version

    dev: list[str] = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]["dev"]
    return next(pin for pin in dev if re.match(r"pip-tools\b", pin))


def lock(extra: list[str]) -> int:
    _create_venv()
    if not (BIN / "pip-compile").exists():
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", _pinned_pip_tools()], check=True)
    LOCK.parent.mkdir(exist_ok=True)
    env = {**os.environ, "CUSTOM_COMPILE_COMMAND": "python3 run.py lock"}
    return subprocess.call([str(BIN / "pip-compile"), *LOCK_COMMAND, *extra], cwd=ROOT, env=env)


def _call(command: list[str], env: dict[str, str] | None = None) -> int:
    """Run `command` to its end. Ctrl-C in a terminal reaches the child too (the whole foreground
    process group gets it), so run.py waits while the child stops rather than killing it or printing
    a traceback of its own; a SIGTERM for run.py is passed on to the child."""
    child = subprocess.Popen(command, env=env)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            continue


def _playwright_chromium() -> str | None:
    """Where Playwright's own Chromium is, if it has been downloaded."""
    ask = "from playwright.sync_api import sync_playwright as s\nwith s() as p: print(p.chromium.executable_path)"
    answer = subprocess.run([str(PYTHON), "-c", ask], capture_output=True, text=True)
    path = answer.stdout.strip()
    return path if answer.returncode == 0 and path and Path(path).is_file() else None


def _download_playwright_chromium() -> None:
    print("No /usr/bin/chromium: downloading Playwright's own Chromium …", flush=True)
    subprocess.call([str(PYTHON), "-m", "playwright", "install", "chromium"])


def chromium_for_tests() -> str | None:
    """The Chromium the browser tests drive: $DANGOL_CHROMIUM, Debian's, or Playwright's own (downloaded
    now if it can be). None when there is none: the browser tests are never skipped, so `test` stops."""
    named = os.environ.get("DANGOL_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    if DEBIAN_CHROMIUM.is_file():
        return str(DEBIAN_CHROMIUM)
    found = _playwright_chromium()
    if found is None:
        _download_playwright_chromium()
        found = _playwright_chromium()
    return found


def run_tests(args: list[str]) -> int:
    chromium = chromium_for_tests()
    if chromium is None:
        named = os.environ.get("DANGOL_CHROMIUM")
        print(f"DANGOL_CHROMIUM={named} is not a file." if named else NO_CHROMIUM, file=sys.stderr, flush=True)
        return 1
    return _call([str(PYTHON), "-m", "pytest", *args], env={**os.environ, "DANGOL_CHROMIUM": chromium})


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command not in ("dev", "test", "check", "lock"):
        print(__doc__)
        return 0 if command == "help" else 2
    if command == "lock":
        return lock(rest)
    ensure_environment()
    os.chdir(ROOT)
    if command == "dev":
        dev = [str(BIN / "dangol"), "dev", *rest]
        if os.name == "posix":
            # Become `dangol dev`: a signal sent to this process alone (a process manager's, a
            # `kill -INT`) then reaches the one that stops everything, not a wrapper that waits.
            sys.stdout.flush()
            os.execv(dev[0], dev)
        return _call(dev)
    if command == "test":
        return run_tests(rest)
    for step in CHECKS:
        print("$", " ".join(step), flush=True)
        if _call([str(PYTHON), "-m", *step]) != 0:
            return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # while installing: pip has stopped too, and said so
        sys.exit(128 + signal.SIGINT)
