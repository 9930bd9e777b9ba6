"""Everything the plan says about a named thing or a topic: its mentions, grouped by chapter.

The subject is a named thing of the plan (a cluster, a city, a quoted programme) or, failing
that, the question's most specific subject term that the plan uses in several places. Mentions
are the sentences that name it and the sentences of paragraphs whose lead names it. Shown first:
the passages about the subject itself (an item headed by it, such as 专栏19's "（十一）盘锦市："),
then one mention from as many places as possible, those touching the aspects the asker listed
("港口、产业、自贸片区") before the rest, grouped by chapter; the total count is given.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ...extractive import Sentence
from ...normalize import match_key
from ..intent import Request
from ..lexicon import lexicon
from .common import Context, Draft, cite_sentences

_NUMBERING = re.compile(r"^(?:[(（][一二三四五六七八九十]+[)）]|\d+[.．])")
_SHORT_LEAD = 16  # a lead this short that names the subject is about it
_DEFINING = 3  # passages about the subject itself, shown first
_SHOWN = 16  # mentions shown in all
_CLIP = 160  # characters of a mention, around the subject (whole sentences when few)
_FEW = 10
_CLAUSES = 4  # clauses of one long sentence
_MIN_PLACES = 2  # a subject named in one place only is answered there, not as "everything about"


def subject(req: Request, ctx: Context) -> tuple[str, tuple[Sentence, ...]] | None:
    """What the question asks everything about, and its mentions.

    The first thing the question names (people put the subject first: "丹东在规划里…",
    "规划里关于民营经济…"): a named thing of the plan, or the first subject term the plan uses.
    None when the plan names it in fewer than two places: then it is answered where it is named.
    """
    text = match_key(req.text)
    candidates: list[tuple[int, str, tuple[Sentence, ...]]] = []
    for e in req.entities:
        at = min((text.find(match_key(a)) for a in (e.name, *e.aliases) if match_key(a) in text), default=-1)
        if at >= 0:
            candidates.append((at, e.name, e.mentions))
    frame = (*lexicon().about, *lexicon().list, *lexicon().outline, *lexicon().targets)
    for term in req.q.terms:
        key = match_key(term)
        if len(key) < 2 or any(term in w for w in frame) or key not in text:
            continue
        covered = [c for c in candidates if key in match_key(c[1]) or match_key(c[1]) in key]
        if covered and all(len(match_key(c[1])) >= len(key) for c in covered):
            continue  # the named thing already stands for this term
        found = tuple(s for s in ctx.model.sentences if key in s.key or key in s.lead_key)
        candidates.append((text.find(key), term, found))
    for _, name, mentions in sorted(candidates, key=lambda c: (c[0], -len(c[1]))):
        if mentions:
            places = len({s.location.id for s in mentions})
            return (name, mentions) if places >= _MIN_PLACES else None
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


def _excerpts(text: str, key: str, limit: int) -> list[str]:
    """What of a sentence to show: all of it when short, else each clause that names the subject
    (a long list of cities names 锦州 in several clauses: 锦州颜染料, 锦（州）营（口）…), each verbatim."""
    if len(text) <= limit:
        return [text]
    clauses = [c.strip("，；") for c in re.split(r"(?<=[，；])", text) if key in match_key(c)]
    if not clauses:
        return [clip_around(text, key, limit)]
    return [clip_around(c, key, _CLIP) for c in clauses[:_CLAUSES]]


def _headed_by(s: Sentence, key: str) -> bool:
    """The paragraph is about the subject: its item head opens with it, or its short lead names it."""
    head = _NUMBERING.sub("", s.lead_key)
    return head.startswith(key) or (key in head and len(head) <= _SHORT_LEAD)


def _aspects(req: Request, name: str) -> list[str]:
    """The other things the asker listed (港口、产业、自贸片区), as plan-text keys."""
    frame = (*lexicon().about, *lexicon().list, *lexicon().outline)
    key = match_key(name)
    return [
        match_key(t)
        for t in req.q.terms
        if len(t) >= 2
        and match_key(t) not in key
        and key not in match_key(t)
        and not any(t in w for w in frame)
    ]


def compose(req: Request, ctx: Context) -> Draft | None:
    found = subject(req, ctx)
    if found is None:
        return None
    name, mentions = found
    key = match_key(name)
    aspects = _aspects(req, name)
    hit_rank = ctx.hit_rank
    order = {id(s): i for i, s in enumerate(mentions)}

    def rank(s: Sentence) -> tuple[int, int, int, int]:
        touches = sum(1 for a in aspects if a in s.key or a in s.lead_key)
        return (-touches, 0 if key in s.key else 1, hit_rank.get(s.location.id, 99), order[id(s)])

    defining = sorted((s for s in mentions if _headed_by(s, key)), key=rank)[:_DEFINING]
    picked: list[Sentence] = list(defining)
    for per_place in (1, 2):  # one from every place first, then a second where there is room
        for s in sorted(mentions, key=rank):
            if len(picked) >= _SHOWN:
                break
            if s not in picked and sum(p.location.id == s.location.id for p in picked) < per_place:
                picked.append(s)
    limit = 200 if len(mentions) <= _FEW else _CLIP
    excerpts = [
        [Sentence(s.location, s.paragraph_index, x) for x in _excerpts(s.text, key, limit)] for s in picked
    ]
    quotes = [q for parts in excerpts for q in parts]

    def shown(parts: list[Sentence]) -> str:
        return "……".join(q.text for q in parts)

    by_chapter: dict[int, list[list[Sentence]]] = defaultdict(list)
    for parts in excerpts[len(defining) :]:
        by_chapter[parts[0].location.chapter].append(parts)
    lines = [f"{parts[0].location.cite}：「{shown(parts)}」" for parts in excerpts[: len(defining)]]
    for group in by_chapter.values():
        heading = group[0][0].location.title_path[0]
        lines.append(f"{heading}：" + " …… ".join(f"「{shown(p)}」（{p[0].location.cite}）" for p in group))
    total = len(mentions)
    places = len({s.location.id for s in mentions})
    text = f"规划纲要中涉及「{name}」的内容共{total}处，分布在{places}个章节和专栏，主要有：\n" + "\n".join(
        f"{i}. {line}" for i, line in enumerate(lines, start=1)
    )
    return Draft("about", False, text, cite_sentences(quotes), (str(total), str(places)))
