// Registered before any page script (an init script of every browser context in
// tests/browser/conftest.py), so the buffered entries of the whole load are seen. LCP is the
// render time of the latest candidate; CLS sums layout shifts not caused by input, as web-vitals does
// for a page that stays within one session window.
(() => {
  const vitals = (window.__dangolVitals = { lcp: null, cls: 0 });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) vitals.lcp = entry.renderTime || entry.startTime;
  }).observe({ type: "largest-contentful-paint", buffered: true });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) vitals.cls += entry.value;
  }).observe({ type: "layout-shift", buffered: true });
})();
