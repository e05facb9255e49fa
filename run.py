#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python 3.11+: makes `.venv`, installs Dangol, runs it.

python3 run.py dev      # the whole product on 127.0.0.1:8000 (`dangol dev`)
python3 run.py test     # every test (pytest); DATABASE_URL / REDIS_URL pick PostgreSQL and Redis
python3 run.py check    # ruff, formatting and mypy
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".dangol-installed"


def ensure_environment() -> None:
    """Create the virtualenv and install the pinned dependencies, again only when pyproject changes."""
    if sys.version_info < (3, 11):  # noqa: UP036 (run.py must say so on an older Python, not crash)
        sys.exit(f"Dangol needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing Dangol and its pinned dependencies …", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command not in ("dev", "test", "check"):
        print(__doc__)
        return 0 if command == "help" else 2
    ensure_environment()
    os.chdir(ROOT)
    if command == "dev":
        return subprocess.call([str(BIN / "dangol"), "dev", *rest])
    if command == "test":
        return subprocess.call([str(PYTHON), "-m", "pytest", *rest])
    for step in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy", "."]):
        print("$", " ".join(step), flush=True)
        if subprocess.call([str(PYTHON), "-m", *step]) != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
