"""Everything the plan says about a named thing or a topic: every mention, grouped by chapter.

The subject is a named thing of the plan (a city, a cluster, a quoted programme) or, failing
that, the question's most specific subject term that the plan uses. Mentions are the sentences
that name it, and the sentences of paragraphs whose lead names it. Chapters are ranked by how
much they say; the total count is given and the first mentions of each chapter are quoted.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ...extractive import Sentence
from ...normalize import match_key
from ..intent import Request
from .common import Context, Draft, cite_sentences

_NUMBERING = re.compile(r"^(?:[(（][一二三四五六七八九十]+[)）]|\d+[.．])")
_SHORT_LEAD = 16
_DEFINING = 3  # passages about the subject itself, shown first and longer
_CLIP_DEFINING = 160
_PER_CHAPTER = 2
_CHAPTERS = 8
_CLIP = 100


def subject(req: Request, ctx: Context) -> tuple[str, tuple[Sentence, ...]] | None:
    """The subject's name and its mentions (None when the plan never names it)."""
    named = [e for e in req.entities if e.mentions]
    if named:
        best = max(named, key=lambda e: len(e.name))
        return best.name, best.mentions
    terms = sorted(req.q.terms, key=lambda t: -ctx.model.extractor.idf(t))
    for term in terms:
        key = match_key(term)
        if len(key) < 2:
            continue
        found = tuple(s for s in ctx.model.sentences if key in s.key or key in s.lead_key)
        if found:
            return term, found
    return None


def clip_around(text: str, key: str, limit: int = _CLIP) -> str:
    """A verbatim stretch of ``text`` of about ``limit`` characters around the subject."""
    if len(text) <= limit:
        return text
    at = match_key(text).find(key)
    at = max(0, min(at, len(text) - 1)) if at >= 0 else 0
    start = max(text.rfind("，", 0, at), text.rfind("；", 0, at)) + 1 if at > limit // 2 else 0
    end = start + limit
    stop = max(text.rfind("，", start, end), text.rfind("；", start, end))
    return text[start : stop if stop > at else end].strip("，；")


def _headed_by(s: Sentence, key: str) -> bool:
    """The paragraph is about the subject: its item head opens with it, or its short lead names it."""
    head = _NUMBERING.sub("", s.lead_key)
    return head.startswith(key) or (key in head and len(head) <= _SHORT_LEAD)


def compose(req: Request, ctx: Context) -> Draft | None:
    found = subject(req, ctx)
    if found is None:
        return None
    name, mentions = found
    key = match_key(name)
    hit_rank = {loc: i for i, loc in enumerate(ctx.hit_locations)}

    def weight(s: Sentence) -> tuple[int, int]:
        return (0 if key in s.key else 1, hit_rank.get(s.location.id, 99))

    # where the plan is about the subject itself: an item or paragraph headed by it (专栏19's
    # "（十一）盘锦市：…", "健全养老服务体系。"), or a sentence that opens with it
    defining = [s for s in mentions if _headed_by(s, key)]
    defining = sorted(defining, key=weight)[:_DEFINING]
    rest = [s for s in mentions if s not in defining]
    by_chapter: dict[int, list[Sentence]] = defaultdict(list)
    for s in rest:
        by_chapter[s.location.chapter].append(s)
    chapters = sorted(by_chapter, key=lambda c: (-len(by_chapter[c]), c))[:_CHAPTERS]

    quotes: list[Sentence] = []
    lines: list[str] = []
    for s in defining:
        clipped = clip_around(s.text, key, _CLIP_DEFINING)
        quotes.append(Sentence(s.location, s.paragraph_index, clipped))
        lines.append(f"{s.location.cite}：「{clipped}」")
    for c in chapters:
        picked = sorted(by_chapter[c], key=weight)[:_PER_CHAPTER]
        shown = []
        for s in picked:
            clipped = clip_around(s.text, key)
            shown.append(clipped)
            quotes.append(Sentence(s.location, s.paragraph_index, clipped))
        heading = picked[0].location.title_path[0]
        lines.append(f"{heading}（{len(by_chapter[c])}处）：" + " …… ".join(f"「{x}」" for x in shown))
    total = len(mentions)
    places = len({s.location.chapter for s in mentions})
    text = f"规划纲要中涉及「{name}」的内容共{total}处，分布在{places}章：\n" + "\n".join(
        f"{i}. {line}" for i, line in enumerate(lines, start=1)
    )
    counts = (str(total), str(places), *(str(len(by_chapter[c])) for c in chapters))
    return Draft("about", False, text, cite_sentences(quotes), counts)
