"""Follow-up questions resolved from the conversation, offline.

``那2030年呢？`` re-asks the previous question with the new year; ``沈阳呢？`` with the new place;
``这一节还讲了什么？`` / ``表里这一项…`` point at what the previous answer cited; a short question
that lacks a subject borrows the previous question's. The rewritten question is what gets
searched, and it is returned to the caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .answers import Turn
from .parse import Document
from .query import CITIES, REF_BOX, REF_SECTION, YEAR, location_refs

DEICTIC = (
    "这一节",
    "这节",
    "该节",
    "这一章",
    "这个专栏",
    "该专栏",
    "这个表",
    "表里",
    "这一项",
    "该项",
    "这项",
    "同一项",
    "同一个",
    "这部分",
    "上述",
    "它的",
    "它们",
    "其中",
    "这个",
    "该",
)
_FOLLOW_START = re.compile(r"^(那么?|那|还有|另外|再问|此外|它|其|这|该|同一)")
_TRAILING = re.compile(r"(呢|吗)?[？?。！!]*$")


@dataclass(frozen=True)
class Resolved:
    query: str  # the standalone question to search and answer
    focus: tuple[str, ...]  # locations the previous answer cited, for deictic references
    is_followup: bool
    core: str = ""  # the follow-up's own words, when the query borrows a frame
    frame: str = ""  # the previous question lending its frame


def _previous(history: Sequence[Turn]) -> tuple[str | None, str | None]:
    last_user = next((t.content for t in reversed(history) if t.role == "user"), None)
    last_answer = next((t.content for t in reversed(history) if t.role == "assistant"), None)
    return last_user, last_answer


def looks_like_followup(question: str) -> bool:
    core = _TRAILING.sub("", question)
    return bool(
        _FOLLOW_START.match(question)
        or any(d in question for d in DEICTIC)
        or question.rstrip("？?").endswith("呢")
        or len(core) <= 6
    )


def resolve(question: str, history: Sequence[Turn], doc: Document) -> Resolved:
    prev_q, prev_a = _previous(history)
    if not prev_q or not looks_like_followup(question):
        return Resolved(question, (), False)
    focus = tuple(location_refs(prev_a or "", doc)) or tuple(location_refs(prev_q, doc))
    core = _FOLLOW_START.sub("", _TRAILING.sub("", question)).strip("，, ")
    # 那2030年呢？ → the previous question with the year replaced
    new_years = YEAR.findall(core)
    if new_years and YEAR.search(prev_q) and len(YEAR.sub("", core)) <= 4:
        return Resolved(YEAR.sub(f"{new_years[0]}年", prev_q, count=1), focus, True)
    # 沈阳呢？ → the previous question about another place
    new_places = [c for c in CITIES if c in core]
    old_places = [c for c in CITIES if c in prev_q]
    if new_places and old_places and len(core) <= len(new_places[0]) + 4:
        return Resolved(prev_q.replace(old_places[0], new_places[0]), focus, True)
    # 这一节还讲了什么？ → a question about the cited location itself
    if (
        any(d in question for d in DEICTIC)
        and focus
        and not REF_SECTION.search(question)
        and not REF_BOX.search(question)
    ):
        loc = doc[focus[0]]
        named = f"专栏{loc.number}" if loc.kind == "box" else f"第{_cn(loc.chapter)}章第{_cn(loc.number)}节"
        if loc.kind in ("section", "box"):
            stripped = question
            for d in DEICTIC:
                stripped = stripped.replace(d, "")
            return Resolved(f"{named}{stripped}", focus, True)
    # a short question without its own subject: borrow the previous question's frame
    frame = _TRAILING.sub("", prev_q)
    if not core:
        return Resolved(prev_q, focus, True)
    return Resolved(f"{core}（接上问：{frame}）", focus, True, core, frame)


def _cn(n: int) -> str:
    from .normalize import int_to_cn

    return int_to_cn(n)
