"""What a browser test asks of a page: no serious accessibility violation, its Web Vitals, no console
error, and a screenshot for the README when asked for one."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Frame, Page, Route, WebError

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
# scripts/screenshots.sh sets it; an ordinary test run leaves the committed screenshots alone.
SCREENSHOTS_WANTED = "DANGOL_SCREENSHOTS"
APP_BRIDGE = "/shopifycloud/app-bridge.js"
CDN_HOST = "cdn.shopify.com"

# `--no-sandbox`: CI runs as root, where Chromium's sandbox refuses to start. The rest keep Chromium
# from reaching for Google's services, which the routing below would refuse anyway.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERIOUS = ("serious", "critical")
# The project's target for the admin (Shopify's "good" thresholds are 2.5 s and 0.1 at p75).
ADMIN_LCP_MS = 1000
ADMIN_CLS = 0.1

CdnMode = Literal["stand-in", "down"]


class Network:
    """Routes every request of a browser context: the app's own host goes through, Shopify's CDN is
    answered by stand-ins (or fails, in "down" mode), and anything else is refused and remembered,
    so a page that reaches for another host fails its test instead of depending on the internet."""

    def __init__(self, app_url: str, store_url: str, mode: CdnMode) -> None:
        self.app_host = urlsplit(app_url).netloc
        self.mode = mode
        # The stand-in asks the dev store for session tokens (see app_bridge.js).
        self.app_bridge = f"const DEV_STORE = {json.dumps(store_url)};\n" + (HERE / "app_bridge.js").read_text()
        self.refused: list[str] = []
        self.cdn_requests: list[str] = []

    def __call__(self, route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.netloc == self.app_host:
            route.continue_()
        elif url.hostname == CDN_HOST:
            self.cdn_requests.append(route.request.url)
            if self.mode == "down":
                route.abort("connectionrefused")
            elif url.path == APP_BRIDGE:
                route.fulfill(status=200, content_type="text/javascript", body=self.app_bridge)
            else:
                # Polaris's stand-in defines nothing: a page must work without it.
                route.fulfill(status=200, content_type="text/javascript", body="")
        else:
            self.refused.append(route.request.url)
            route.abort("blockedbyclient")


@dataclass
class ConsoleErrors:
    """Console errors and uncaught exceptions of every page of a test's browser context."""

    cdn_down: bool = False
    seen: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # In "down" mode the CDN's scripts fail to load on purpose; the page must cope, not be silent.
        if self.cdn_down and urlsplit(message.location.get("url", "")).hostname == CDN_HOST:
            return
        where = message.location.get("url")
        self.seen.append(f"console error{f' at {where}' if where else ''}: {message.text}")

    def on_web_error(self, error: WebError) -> None:
        self.seen.append(f"uncaught {error.error.name}: {error.error.message}\n{error.error.stack or ''}")

    def take(self) -> list[str]:
        """What was seen so far, forgotten (for a test that expects an error)."""
        seen, self.seen = self.seen, []
        return seen

    def assert_none(self) -> None:
        assert not self.seen, "the browser reported errors:\n" + "\n".join(self.seen)


def _frames(target: Page | Frame) -> list[Frame]:
    top = target.main_frame if isinstance(target, Page) else target
    found = [top]
    for frame in found:
        found.extend(frame.child_frames)
    return found


def assert_accessible(target: Page | Frame) -> None:
    """axe-core (bundled with axe-playwright-python, so offline) on the page and each frame in it; fails
    on any violation of impact serious or critical, listing each with the elements concerned."""
    problems = []
    for frame in _frames(target):
        # Each frame is checked by an axe of its own: axe only reaches into frames where it was injected.
        results = Axe().run(frame, options={"resultTypes": ["violations"], "iframes": False})  # type: ignore[arg-type]
        for violation in results.response["violations"]:
            if violation["impact"] in SERIOUS:
                nodes = "\n".join(f"      {node['target']}: {node['html'][:200]}" for node in violation["nodes"])
                problems.append(
                    f"  {violation['id']} ({violation['impact']}) in {frame.url}\n"
                    f"    {violation['help']} ({violation['helpUrl']})\n{nodes}"
                )
    assert not problems, "accessibility violations:\n" + "\n".join(problems)


@dataclass(frozen=True)
class Vitals:
    lcp_ms: float
    cls: float

    def __str__(self) -> str:
        return f"LCP {self.lcp_ms:.0f} ms, CLS {self.cls:.3f}"


def web_vitals(target: Page | Frame) -> Vitals:
    """LCP and CLS of the document in `target`, from the observers vitals.js registered before it loaded.
    Read once the document has loaded and painted its largest element."""
    target.wait_for_load_state("load")
    target.wait_for_function("() => window.__dangolVitals && window.__dangolVitals.lcp !== null")
    measured = target.evaluate("() => window.__dangolVitals")
    return Vitals(lcp_ms=float(measured["lcp"]), cls=float(measured["cls"]))


def screenshot(page: Page, name: str) -> Path | None:
    """docs/screenshots/{name}.png, only when DANGOL_SCREENSHOTS is set (scripts/screenshots.sh)."""
    if not os.environ.get(SCREENSHOTS_WANTED):
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # A framed page (the admin) is shown whole: each frame grows to its document's height first.
    for frame in page.main_frame.child_frames:
        height = frame.evaluate("() => { window.scrollTo(0, 0); return document.documentElement.scrollHeight; }")
        frame.frame_element().evaluate("(element, height) => { element.style.height = height + 'px'; }", height)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
