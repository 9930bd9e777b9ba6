"""Presentation helpers shared by the API and the UI: citation lists and where a quote sits in its text."""

from __future__ import annotations

import unicodedata
from bisect import bisect_left
from collections.abc import Sequence

from .answers import Answer, Citation
from .normalize import normalize_years


def citation_label(c: Citation) -> str:
    """Short chip label, e.g. ``专栏27 …`` or ``第二节 推动能源绿色低碳转型``."""
    last = c.title.split(" › ")[-1]
    return last if len(last) <= 24 else last[:23] + "…"


def citation_lines(citations: Sequence[Citation]) -> str:
    """The 引用 list appended to an answer's text (plain text, also valid Markdown)."""
    if not citations:
        return ""
    lines = ["引用："]
    lines += [f"[{i}] {c.title}（{c.location}）：「{c.quote}」" for i, c in enumerate(citations, start=1)]
    return "\n".join(lines)


def answer_with_citations(answer: Answer) -> str:
    """The answer text followed by its 引用 list (and a notice, if any)."""
    parts = [answer.text.strip()]
    if answer.notice:
        parts.append(f"（提示：{answer.notice}）")
    refs = citation_lines(answer.citations)
    if refs:
        parts.append(refs)
    return "\n\n".join(p for p in parts if p)


def _keyed(text: str) -> tuple[str, list[int]]:
    """Matching key of ``text`` with, for each key character, its index in ``text``."""
    years = normalize_years(text)
    source = years if len(years) == len(text) else text  # year rewriting keeps lengths; be safe
    key: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(source):
        if ch.isspace():
            continue
        for k in unicodedata.normalize("NFKC", ch).lower():
            if not k.isspace():
                key.append(k)
                index.append(i)
    return "".join(key), index


def find_span(text: str, quote: str, start: int = 0) -> tuple[int, int] | None:
    """Where ``quote`` occurs in ``text`` (whitespace and character width aside), as [start, end).

    The first occurrence at or after ``start``, else the first one: a sentence such as
    "到2030年，集群营收规模达到1500亿元。" recurs within a box, and the caller may know which.
    """
    key, index = _keyed(text)
    qkey, _ = _keyed(quote)
    if not qkey:
        return None
    pos = key.find(qkey, bisect_left(index, start)) if start > 0 else -1
    if pos < 0:
        pos = key.find(qkey)
    if pos < 0:
        return None
    return index[pos], index[pos + len(qkey) - 1] + 1
