"""The HTTP client every call to Shopify goes through, pointed at `SHOPIFY_API_BASE_URL` when set."""

from __future__ import annotations

import httpx

SHOPIFY_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class BaseUrlTransport(httpx.AsyncBaseTransport):
    """Sends `https://{shop}/admin/…` to `{base}/admin/…`. Shopify's packages build shop URLs
    themselves, so the redirection lives in the transport they are handed; the original host
    travels in `X-Forwarded-Host` so a stand-in store knows which shop was meant."""

    def __init__(self, base_url: str, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.base = httpx.URL(base_url.rstrip("/"))
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        original_host = request.url.host
        request.url = request.url.copy_with(
            scheme=self.base.scheme,
            host=self.base.host,
            port=self.base.port,
            path=self.base.path.rstrip("/") + request.url.path,
        )
        request.headers["X-Forwarded-Host"] = original_host
        # httpx fixed the Host header when the request was built; it must name where it now goes.
        request.headers["Host"] = self.base.netloc.decode("ascii")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def shopify_http_client(base_url: str | None, inner: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    transport: httpx.AsyncBaseTransport | None = BaseUrlTransport(base_url, inner) if base_url else inner
    return httpx.AsyncClient(transport=transport, timeout=SHOPIFY_TIMEOUT)
