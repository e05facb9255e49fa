/* Dangol "your points" card (blocks/points-card.liquid): fills in a signed-in shopper's points, tier
   and what is left to the next tier from the app proxy's me.json, on the shop's own origin. Every
   value goes in as text, never as HTML. */
(() => {
  function format(value, locale, options) {
    try {
      return new Intl.NumberFormat(locale || undefined, options).format(Number(value));
    } catch (_) {
      // An unknown locale or currency code from the theme must not cost the shopper the number.
      return options ? `${value} ${options.currency}` : String(value);
    }
  }

  function nextTierText(me, card) {
    if (!me.next_tier) return card.dataset.top;
    // `remaining` is a decimal string in the shop's currency (app/http/schemas.py, NextTierOut).
    const amount = format(me.next_tier.remaining, card.dataset.locale, {
      style: 'currency',
      currency: card.dataset.currency,
    });
    return card.dataset.next.replace('[amount]', amount).replace('[tier]', me.next_tier.name);
  }

  function show(card, me) {
    const field = (name) => card.querySelector(`[data-dangol-field="${name}"]`);
    field('points').textContent = format(me.points, card.dataset.locale);
    field('tier').textContent = me.tier.name;
    field('next').textContent = nextTierText(me, card);
  }

  function start() {
    const cards = document.querySelectorAll('[data-dangol-points]');
    if (cards.length === 0) return;
    // Every card on a page shows the same shopper: one request serves them all.
    const me = fetch(cards[0].dataset.src, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    }).then((response) => {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    });
    cards.forEach((card) => {
      me.then((data) => show(card, data))
        .catch(() => {
          card.querySelector('[data-dangol-error]').hidden = false;
        })
        .finally(() => card.setAttribute('aria-busy', 'false'));
    });
  }

  // Whether Shopify puts this script before or after the block, the block must be parsed first.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
