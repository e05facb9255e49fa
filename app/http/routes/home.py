"""`GET /`: where a person who opens the app's address lands. In development it points at the dev
store's pages; in production it names the app and offers the install form."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from frontend.i18n import accepted_languages, choose
from frontend.pages import render

router = APIRouter()

# Set by create_app when it mounts the dev store: the dev store's pages worth opening first, by name.
DevLinks = Callable[[], dict[str, str]]


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def landing_page(request: Request) -> HTMLResponse:
    language = choose(accepted_languages(request.headers.get("accept-language")))
    dev_links: DevLinks | None = getattr(request.app.state, "dev_links", None)
    page = render(
        "landing.html",
        language=language,
        dev_links=dev_links() | {"docs": request.url_for("swagger_ui").path} if dev_links else None,
        install_url=request.url_for("begin_install").path,
    )
    return HTMLResponse(page, headers={"Content-Language": language, "Vary": "Accept-Language"})
