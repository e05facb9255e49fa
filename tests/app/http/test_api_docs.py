"""The API docs load with no CDN in reach: /docs (Swagger UI) and /redoc name only this app's own
addresses, and each of those answers."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest


def _addresses(html: str) -> list[str]:
    """Every address the page makes the browser load: src and href attributes, and the schema URL
    given to the script."""
    attributes = re.findall(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']""", html)
    scripted = re.findall(r"""\burl\s*:\s*["']([^"']+)["']""", html)
    return attributes + scripted


@pytest.mark.parametrize(("_case", "path", "expected"), [("swagger ui", "/docs", 4), ("redoc", "/redoc", 3)])
async def test_the_docs_pages_load_everything_from_the_app_itself(client, _case, path, expected):
    # when
    page = await client.get(path)
    # then the page names no other host, not even in text a script could follow
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page.text) == []
    addresses = _addresses(page.text)
    assert len(addresses) == expected, addresses
    for address in addresses:
        assert address.startswith("/")
        assert not urlsplit(address).netloc
        # and everything it names is here
        answer = await client.get(address)
        assert answer.status_code == 200, address
        assert answer.content, address


async def test_swagger_ui_does_not_send_the_schema_to_the_online_validator(client):
    page = await client.get("/docs")
    assert '"validatorUrl": null' in page.text


async def test_the_docs_assets_are_swagger_ui_and_redoc(client):
    for name, kind in [
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "javascript"),
    ]:
        answer = await client.get(f"/docs/assets/{name}")
        assert answer.status_code == 200
        assert kind in answer.headers["content-type"]
        assert len(answer.content) > 100_000
