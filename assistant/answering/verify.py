"""Nothing reaches the user that the plan does not say.

A quote is kept only when it occurs in its cited location (whitespace and width aside). Every
number of an answer must be a number of its quotes — compared as whole numbers, not substrings
(「7%」 is not supported by 「70%」) and, when the answer gives a unit, with that unit (「70亿元」
is not supported by 「70%」) — or one of the numbers the composer computed from the plan and
marked as such. Place labels (第十四章, 专栏27) and list numbering are not figures.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from ..answers import Citation
from ..citations import verify_citations
from ..extractive import Draft
from ..normalize import match_key, normalize_years
from ..parse import Document

log = logging.getLogger(__name__)
UNVERIFIABLE = "规划纲要中没有找到能够核实的答案。"

_LABEL = re.compile(
    r"(?:第[一二三四五六七八九十]+章(?:第[一二三四五六七八九十]+节)?|专栏\s*\d+)「[^」]*」"  # a place and its title
    r"|专栏\s*\d+|\[\d+\]|ch\d+\.s\d+|box\d+|(?m:^（\d+）)"
    r"|(?m:^\s*\d+[.．、](?!\d))|(?<=[；;：:\s])\d+[.．](?!\d)"
)
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])")
_UNIT = re.compile(
    r"(万亿元|亿元|万元|元|万千瓦|千瓦|万吨|万人|万亩|亿立方米|万立方米|%|个百分点|公里|千米|家|个|项|所|岁|人)"
)


_CELL_GAP = re.compile(r"(?<=[\d%*\]])\s+(?=[\d\[—>≥<≤-])")


def _numbers_with_units(text: str) -> list[tuple[str, str]]:
    # table cells are separated by tabs or spaces only: keep them apart before spaces are removed
    key = match_key(_CELL_GAP.sub("|", text))
    out: list[tuple[str, str]] = []
    for m in _NUMBER.finditer(key):
        unit = _UNIT.match(key, m.end())
        out.append((m.group(1), unit.group(1) if unit else ""))
    return out


def unsupported_numbers(
    answer: str, citations: tuple[Citation, ...], computed: tuple[str, ...] = ()
) -> list[str]:
    """Numbers in ``answer`` that neither the quotes (with their units) nor ``computed`` support."""
    quoted = _numbers_with_units("\n".join(c.quote + "\n" + c.title for c in citations))
    plain = {n for n, _ in quoted}
    pairs = set(quoted)
    allowed = set(computed)
    body = _LABEL.sub("|", normalize_years(answer))
    missing: list[str] = []
    for number, unit in _numbers_with_units(body):
        if number in allowed:
            continue
        if number not in plain or (unit and (number, unit) not in pairs and (number, "") not in pairs):
            missing.append(number + unit)
    return missing


def check(draft: Draft, doc: Document) -> Draft:
    """The draft with only its verifiable quotes; withheld (abstained) when a figure is not backed."""
    citations = verify_citations(draft.citations, doc)
    if draft.abstained:
        return replace(draft, citations=citations)
    if not citations or unsupported_numbers(draft.text, citations, draft.computed):
        # never show a figure the quotes do not carry
        log.warning("answer withheld: unverifiable against its quotes: %s", draft.text[:80])
        return replace(draft, abstained=True, text=UNVERIFIABLE, citations=citations)
    return replace(draft, citations=citations)
