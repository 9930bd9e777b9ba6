// js_on_load of the policy report (#policy-report): a clause's chip shows its location with the clause
// marked (the paragraph tells which occurrence, when the sentence recurs).
element.addEventListener('click', (e) => {
  const chip = e.target.closest('.cite-chip');
  if (chip) {
    const paragraph = Number(chip.dataset.paragraph || -1);
    trigger('click', {location: chip.dataset.location, quote: chip.dataset.quote, paragraph: paragraph});
  }
});
