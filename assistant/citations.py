"""Citation verification: a quote is kept only when it occurs in its cited location
(whitespace and character width aside). The answer's numbers are checked against the kept quotes
in :mod:`assistant.answering.verify`.
"""

from __future__ import annotations

from .answers import Citation
from .normalize import contains, match_key
from .parse import Document


def verify_citations(citations: tuple[Citation, ...], doc: Document) -> tuple[Citation, ...]:
    """The citations whose quote really occurs in the cited location (duplicates dropped)."""
    kept: list[Citation] = []
    seen: set[tuple[str, str]] = set()
    for c in citations:
        loc = doc.get(c.location)
        key = (c.location, match_key(c.quote))
        if loc is None or not c.quote.strip() or key in seen or not contains(loc.text, c.quote):
            continue
        seen.add(key)
        kept.append(Citation(loc.id, loc.path, c.quote))
    return tuple(kept)
