#!/usr/bin/env bash
# Screenshots of Dangol's pages for the README and reviews: runs the browser tests (tests/browser/)
# with DANGOL_SCREENSHOTS set, so that each test's screenshot(page, name) writes
# docs/screenshots/{name}.png. An ordinary test run writes none. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
DANGOL_SCREENSHOTS=1 python3 run.py test tests/browser -q "$@"
ls -l docs/screenshots/*.png
