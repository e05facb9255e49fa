// App Bridge stand-in for the browser tests (tests/browser/conftest.py serves it in place of
// https://cdn.shopify.com/shopifycloud/app-bridge.js, with DEV_STORE defined before it). Shopify's
// App Bridge gets session tokens from the admin around the frame; this one asks the dev store, which
// mints them the same way. It does what Dangol's pages rely on:
// - `shopify.idToken()` answers a fresh session token;
// - `fetch` to the app's own origin carries `Authorization: Bearer <token>`;
// - on the bounce page (/auth/patch-id-token) it reloads `shopify-reload` with a fresh `id_token`.
(() => {
  const params = new URLSearchParams(location.search);
  const apiKey =
    document.currentScript?.dataset.apiKey ||
    document.querySelector('meta[name="shopify-api-key"]')?.content;
  const shop = params.get("shop");
  const nativeFetch = window.fetch.bind(window);
  let cached = null;

  async function idToken() {
    if (cached && cached.expiresAt - Date.now() > 10_000) return cached.token;
    const query = new URLSearchParams({ shop });
    const response = await nativeFetch(`${DEV_STORE}/admin/apps/${encodeURIComponent(apiKey)}/session-token?${query}`);
    if (!response.ok) throw new Error(`the dev store refused a session token (${response.status})`);
    const token = (await response.json()).id_token;
    const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    cached = { token, expiresAt: claims.exp * 1000 };
    return token;
  }

  window.shopify = { config: { apiKey, shop }, idToken };

  window.fetch = async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).origin !== location.origin) return nativeFetch(request);
    const headers = new Headers(request.headers);
    headers.set("Authorization", `Bearer ${await idToken()}`);
    return nativeFetch(new Request(request, { headers }));
  };

  const reload = params.get("shopify-reload");
  if (location.pathname === "/auth/patch-id-token" && reload) {
    idToken().then((token) => {
      const target = new URL(reload, location.origin);
      target.searchParams.set("id_token", token);
      location.replace(target.href);
    });
  }
})();
