"""The import-linter contracts of pyproject.toml (domains stay framework-free, layers point inward,
production never imports the dev store) hold, and cover every package of the project; the tests
folder mirrors the packages it tests."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
# Tests that follow no single package: browser tests of whole pages, and the data they read.
TEST_FOLDERS_OF_THEIR_OWN = {"browser", "data"}


def test_import_contracts_are_kept():
    command = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    result = subprocess.run([sys.executable, "-c", command], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(CONFIG['contracts'])} kept, 0 broken" in result.stdout


def test_every_package_and_app_module_has_a_layer():
    # given the layers, as module names
    [layers] = [c["layers"] for c in CONFIG["contracts"] if c["type"] == "layers"]
    placed = {name.strip() for layer in layers for name in re.split(r"[|:]", layer)}
    # when the project's packages and the modules and subpackages of `app` are listed
    wanted = {root for root in CONFIG["root_packages"] if root != "app"}
    wanted |= {
        f"app.{path.stem}"
        for path in (ROOT / "app").iterdir()
        if path.suffix == ".py" or (path / "__init__.py").exists()
    } - {"app.__init__"}
    # then each has its place
    assert wanted - placed == set()


def test_the_tests_folder_mirrors_the_packages():
    for folder in (ROOT / "tests").rglob("*"):
        if not folder.is_dir() or folder.name == "__pycache__":
            continue
        relative = folder.relative_to(ROOT / "tests")
        if relative.parts[0] in TEST_FOLDERS_OF_THEIR_OWN:
            continue
        assert (ROOT / relative).is_dir(), f"tests/{relative} has no package {relative} to mirror"
