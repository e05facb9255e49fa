"""Every error the HTTP surface gives: JSON `{"error": code, "detail": text}` with a 4xx status.
Domain errors are mapped here, in one table; nothing a client sends becomes a 5xx."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from loyalty.errors import IdempotencyKeyReused, InsufficientPoints, LoyaltyError

log = structlog.get_logger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
        self.extra = extra or {}


class ReplyWith(Exception):
    """A prepared answer that is not an error: a bounce to App Bridge's token page, say."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def error_response(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail, **extra}, status_code=status, headers=headers)


DOMAIN_ERRORS: dict[type[LoyaltyError], tuple[int, str]] = {
    InsufficientPoints: (409, "insufficient_points"),
    IdempotencyKeyReused: (409, "idempotency_key_reused"),
}


def _code_for(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors()
    ]


# Answers an error with a page instead of JSON where the request is a person's page load (the admin's
# documents: app/http/routes/admin/pages.py::problem_page); None keeps the JSON.
ProblemPage = Callable[[Request, int, str], Response | None]


def install_error_handlers(app: FastAPI, problem_page: ProblemPage | None = None) -> None:
    def page_or_none(request: Request, status: int, code: str) -> Response | None:
        return problem_page(request, status, code) if problem_page is not None else None

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        page = page_or_none(request, exc.status, exc.code)
        return page or error_response(exc.status, exc.code, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(ReplyWith)
    async def _reply(_: Request, exc: ReplyWith) -> Response:
        return exc.response

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        code = _code_for(exc.status_code)
        page = page_or_none(request, exc.status_code, code)
        return page or error_response(exc.status_code, code, detail, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        page = page_or_none(request, 404, "validation_error")
        if page is not None:
            return page
        errors = _validation_errors(exc)
        location: list[str] = errors[0]["loc"] if errors else []
        message: str = errors[0]["msg"] if errors else "invalid request"
        detail = f"{'.'.join(location)}: {message}" if location else message
        return error_response(422, "validation_error", detail, errors=errors)

    @app.exception_handler(LoyaltyError)
    async def _domain_error(_: Request, exc: LoyaltyError) -> JSONResponse:
        status, code = DOMAIN_ERRORS.get(type(exc), (409, "conflict"))
        return error_response(status, code, str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled", path=request.url.path, error=type(exc).__name__)
        return error_response(500, "internal_error", "something went wrong on our side")
