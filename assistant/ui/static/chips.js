// js_on_load of the chips under the chat (#citation-chips): a chip, or a location code in an answer's
// folded 引用 list (a link, so it is reachable with Tab and opens with Enter), sends its location and
// quotes to the server, which shows them in the side panel.
window.__planCite = (location, quotes) => trigger('click', {location: location, quotes: quotes});
element.addEventListener('click', (e) => {
  const chip = e.target.closest('.cite-chip');
  if (chip) {
    window.__planCite(chip.dataset.location, JSON.parse(chip.dataset.quotes || '[]'));
  }
});
if (!window.__planCiteLinks) {
  window.__planCiteLinks = true;
  document.addEventListener('click', (e) => {
    const link = e.target.closest('#chatbot a.cite-loc');
    if (!link) { return; }
    e.preventDefault();
    const item = link.closest('li');
    const quotes = [...item.querySelectorAll(':scope > ul > li')].map(
      (li) => li.textContent.trim().replace(/^「/, '').replace(/」$/, ''));
    window.__planCite(decodeURIComponent(link.hash.slice(1)), quotes);
  }, true);
}
