"""The answering core: normalise → understand → (retrieve) → compose → verify.

- :mod:`.normalize`  the question as the plan would write it (simplified script, half-width,
  structure numerals, typos corrected against the plan's own vocabulary);
- :mod:`.lexicon`    the few word lists questions are read with, kept as data (``lexicon.json``);
- :mod:`.model`      what the plan talks about: items with their heads, named things and every
  place they are mentioned, built once per document;
- :mod:`.intent`     what kind of answer the question wants (:class:`~.intent.Intent`);
- :mod:`.followup`   a follow-up turned into a standalone question from the conversation;
- :mod:`.compose`    one composer per kind of answer, each citing verbatim quotes;
- :mod:`.verify`     quotes checked against the plan, numbers checked against the quotes.
"""
