"""`GET /`: in development a page of links into the dev store; in production the app's name and an
install form that sends the shop to /auth. Accessible, in English or Korean as the browser asks."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest

from app.devstore.demo import DEMO_SHOP
from app.devstore.state import DevStore
from frontend.i18n import accepted_languages, choose
from tests.conftest import API_KEY, running_app


class Page(HTMLParser):
    """What a test needs of a page: its tags with their attributes, label texts, links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.links: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag in ("a", "label", "h1"):
            self._open.append((tag, attributes, []))

    def handle_data(self, data: str) -> None:
        for _, _, text in self._open:
            text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, attributes, text = self._open.pop()
            if tag == "a":
                self.links[attributes["href"]] = "".join(text).strip()
            elif tag == "label":
                self.labels[attributes.get("for", "")] = "".join(text).strip()
            else:
                self.labels["<h1>"] = "".join(text).strip()

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attributes for name, attributes in self.tags if name == tag]


def _assert_accessible(page: Page) -> None:
    assert len(page.all("main")) == 1
    assert len(page.all("h1")) == 1
    assert page.labels["<h1>"]
    for field in page.all("input"):
        assert page.labels.get(field.get("id", "")), f"input without a label: {field}"


async def test_production_landing_names_the_app_and_installs_through_auth(client):
    # when
    response = await client.get("/")
    # then it is an accessible English page with the app's name
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = Page(response.text)
    _assert_accessible(page)
    assert page.labels["<h1>"] == "Dangol"
    assert ("html", {"lang": "en"}) in page.tags
    assert "/devstore" not in response.text
    # and its form sends the shop typed into it to /auth
    [form] = page.all("form")
    [field] = page.all("input")
    assert (form["method"], form["action"], field["name"]) == ("get", "/auth", "shop")
    begun = await client.get(f"{form['action']}?{urlencode({field['name']: 'my-shop.myshopify.com'})}")
    assert begun.status_code == 302
    assert begun.headers["location"].startswith("https://my-shop.myshopify.com/admin/oauth/authorize?")
    # which refuses what is not a shop
    refused = await client.get(f"{form['action']}?{urlencode({field['name']: 'example.com'})}")
    assert refused.status_code == 400


async def test_the_landing_page_speaks_korean_to_a_korean_browser(client):
    # when
    response = await client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9,en-US;q=0.8"})
    # then
    page = Page(response.text)
    _assert_accessible(page)
    assert ("html", {"lang": "ko"}) in page.tags
    assert response.headers["content-language"] == "ko"
    assert "Accept-Language" in response.headers["vary"]
    assert "설치" in response.text
    assert page.labels["shop"] == "상점 도메인"


@pytest.mark.parametrize(
    ("_case", "header", "language"),
    [
        ("none", None, "en"),
        ("korean first", "ko-KR,en;q=0.5", "ko"),
        ("english preferred by quality", "ko;q=0.4,en;q=0.9", "en"),
        ("unsupported first, korean next", "fr-FR,fr;q=0.9,ko;q=0.7", "ko"),
        ("only unsupported", "fr, de;q=0.5", "en"),
        ("korean refused", "ko;q=0, en;q=0.1", "en"),
        ("any", "*", "en"),
        ("tie keeps the first", "en, ko", "en"),
        ("upper case", "KO", "ko"),
        ("malformed quality", "ko;q=high, en;q=0.1", "en"),
        ("not a number", "ko;q=nan", "en"),
        ("garbage", ";;,,=;q", "en"),
    ],
)
def test_the_language_is_the_supported_one_the_browser_prefers(_case, header, language):
    assert choose(accepted_languages(header)) == language


async def test_in_development_the_landing_page_links_the_dev_store(settings, tmp_path):
    # given the dev store mounted, with the demo shop `dangol dev` installs and two of its customers
    saved = DevStore(settings.var_dir / "devstore.json")
    saved.ensure_shop(DEMO_SHOP)
    first = saved.add_customer(DEMO_SHOP, "Jiwoo", "Kim", "jiwoo@example.com")
    saved.add_customer(DEMO_SHOP, "Alex", "Rivera", "alex@example.com")
    dev = settings.model_copy(update={"dangol_dev_store": True})

    async with running_app(dev, DevStore()) as live:
        client = live.client
        # when
        response = await client.get("/", headers={"Accept-Language": "en"})
        page = Page(response.text)

        # then it links what a newcomer opens first, and every link but the shopper's (which goes
        # out to the app's public address through the app proxy) answers here
        _assert_accessible(page)
        assert set(page.links) == {
            "/devstore/",
            f"/devstore/admin/apps/{API_KEY}?shop={DEMO_SHOP}",
            f"/devstore/shops/{DEMO_SHOP}/apps/loyalty/?customer_id={first.id}",
            "/devstore/mail",
            "/docs",
        }
        assert all(page.links.values())
        assert not page.all("form")
        for link in page.links:
            if "/apps/loyalty/" not in link:
                assert (await client.get(link)).status_code == 200, link
        # in Korean too
        korean = Page((await client.get("/", headers={"Accept-Language": "ko"})).text)
        assert set(korean.links) == set(page.links)
        assert korean.links["/devstore/mail"] == "로컬 SMTP 서버가 보관한 메일"


async def test_in_development_without_a_demo_customer_the_shopper_link_shows_the_logged_out_page(settings):
    # given the dev store mounted, and nothing installed in it yet
    dev = settings.model_copy(update={"dangol_dev_store": True})
    async with running_app(dev, DevStore()) as live:
        client = live.client
        # when
        page = Page((await client.get("/")).text)
    # then
    assert f"/devstore/shops/{DEMO_SHOP}/apps/loyalty/" in page.links
    assert not [link for link in page.links if re.search(r"customer_id=", link)]
    assert all(urlsplit(link).netloc == "" for link in page.links)
