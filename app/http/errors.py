"""Every error the HTTP surface gives: JSON `{"error": code, "detail": text}` with a 4xx status.
Domain errors are mapped here, in one table; nothing a client sends becomes a 5xx."""

from __future__ import annotations

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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(ReplyWith)
    async def _reply(_: Request, exc: ReplyWith) -> Response:
        return exc.response

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return error_response(exc.status_code, _code_for(exc.status_code), detail, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
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
