/* Dangol launcher (blocks/loyalty-launcher.liquid): opens the shopper's loyalty page in a dialog.
   Nothing is fetched until the first open; the page then comes from the app proxy on the shop's
   own origin, so the shopper's session reaches it and no other host is contacted. */
(() => {
  // The proxy's HTML is ours and escaped, but it is moved into the merchant's page: anything that
  // could run, restyle the whole page or re-point its links is left behind.
  const UNSAFE = 'script,style,link,meta,base,iframe,object,embed';
  const URL_ATTRIBUTES = ['href', 'src', 'action', 'formaction', 'xlink:href'];

  function clean(root) {
    root.querySelectorAll(UNSAFE).forEach((node) => node.remove());
    root.querySelectorAll('*').forEach((element) => {
      for (const attribute of Array.from(element.attributes)) {
        const name = attribute.name.toLowerCase();
        const value = attribute.value.replace(/[\s\u0000-\u001f]+/g, '').toLowerCase();
        if (name.startsWith('on') || (URL_ATTRIBUTES.includes(name) && value.startsWith('javascript:'))) {
          element.removeAttribute(attribute.name);
        }
      }
    });
    return root;
  }

  function pageContent(html) {
    // frontend/templates/storefront/loyalty.html wraps the page in .dangol-loyalty; should the proxy
    // ever answer inside the theme's layout, the theme's header and footer stay out of the panel.
    const page = new DOMParser().parseFromString(html, 'text/html');
    const root = clean(page.querySelector('.dangol-loyalty') || page.querySelector('main') || page.body);
    const content = document.createDocumentFragment();
    while (root.firstChild) content.appendChild(document.adoptNode(root.firstChild));
    return content;
  }

  function setUp(launcher) {
    const button = launcher.querySelector('.dangol-launcher__button');
    const dialog = launcher.querySelector('dialog');
    const body = dialog.querySelector('[data-dangol-body]');
    const error = dialog.querySelector('[data-dangol-error]');
    let state = 'idle';

    async function load() {
      state = 'loading';
      body.hidden = false;
      error.hidden = true;
      body.setAttribute('aria-busy', 'true');
      try {
        const response = await fetch(launcher.dataset.src, {
          credentials: 'same-origin',
          headers: { Accept: 'text/html' },
        });
        if (!response.ok) throw new Error(String(response.status));
        body.replaceChildren(pageContent(await response.text()));
        state = 'loaded';
      } catch (_) {
        // Try again on the next open: a dropped connection should not stick for the whole visit.
        state = 'idle';
        body.hidden = true;
        error.hidden = false;
      }
      body.setAttribute('aria-busy', 'false');
    }

    function open() {
      if (dialog.open) return;
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
      button.setAttribute('aria-expanded', 'true');
      if (state === 'idle') load();
    }

    function close() {
      if (typeof dialog.close === 'function') {
        dialog.close(); // fires `close`, which calls closed()
      } else {
        dialog.removeAttribute('open');
        closed();
      }
    }

    function closed() {
      button.setAttribute('aria-expanded', 'false');
      button.focus();
    }

    button.addEventListener('click', open);
    dialog.querySelector('[data-dangol-close]').addEventListener('click', close);
    // A modal <dialog> closes itself on Escape and fires `close`; browsers without showModal need
    // the key handled here.
    dialog.addEventListener('close', closed);
    dialog.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && typeof dialog.showModal !== 'function') close();
    });
    // The dialog has no padding of its own, so a click whose target is the dialog hit the backdrop.
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) close();
    });
    launcher.hidden = false;
  }

  // Whether Shopify puts this script before or after the block, the block must be parsed first.
  const start = () => document.querySelectorAll('[data-dangol-launcher]').forEach(setUp);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
