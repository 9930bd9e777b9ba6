"""Citation verification: nothing reaches the user that the plan does not say.

A quote is kept only when it occurs in its cited location (whitespace and character width
aside). An answer's numbers and years must each occur in one of its kept quotes; the location
labels the answer itself adds (第十四章第二节, 专栏27) are not figures and are ignored.
"""

from __future__ import annotations

import re

from .answers import Citation
from .normalize import contains, match_key, normalize_years
from .parse import Document

_LABEL = re.compile(
    r"(第[一二三四五六七八九十]+章)?(第[一二三四五六七八九十]+节)?「[^」]*」|专栏\s*\d+|\[\d+\]|ch\d+\.s\d+|box\d+"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


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


def unsupported_numbers(answer: str, citations: tuple[Citation, ...]) -> list[str]:
    """Numbers in ``answer`` that none of the quotes contains."""
    quoted = match_key("".join(c.quote + c.title for c in citations))  # titles are plan text too
    body = _LABEL.sub(" ", normalize_years(answer))
    return [n for n in _NUMBER.findall(body) if n not in quoted]
