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

from ...answers import Citation
from ...extractive import TABLE_YEARS, Sentence, _row_quote
from ...normalize import match_key
from ...parse import ITEM_NUMBER_RE, Location, strip_item_number
from ..intent import Request
from ..lexicon import lexicon
from . import outline
from .common import (
    Context,
    Draft,
    cite,
    cite_sentences,
    indicator_line,
    indicator_row,
    joined,
    name_of,
    subject_runs,
)

_SHORT_LEAD = 16  # a lead this short that names the subject is about it
_DEFINING = 3  # passages about the subject itself, shown first
_BUDGET = 2400  # characters of quoted mentions; the places beyond it are listed by name
_TITLED = 2  # places devoted to the subject that are outlined in full
_HEAD = 24  # characters: an item head longer than this is a sentence, not a label
_CLIP = 160  # characters of a mention, around the subject (whole sentences when few)
_FEW = 10
_CLAUSES = 4  # clauses of one long sentence
_POINT = 2  # specific things a sentence must name to be shown under its paragraph's lead
_HEAD_PLACES = 20  # a word in this many places or more is a general head (经济, 产业, 建设)
_STEM_SPREAD = 3  # a topic's stem may be in at most this many times the topic's own places
_MIN_PLACES = 2  # a subject named in one place only is answered there, not as "everything about"


def _mentions_of(name: str, ctx: Context) -> tuple[Sentence, ...]:
    """Every sentence naming ``name``: a named thing's mentions under all its names (a city's
    with its counties'), else the sentences, or the paragraphs led by one, that contain it."""
    key = match_key(name)
    entity = next(
        (e for e in ctx.model.entities.values() if key in (match_key(a) for a in (e.name, *e.aliases))), None
    )
    if entity is None:
        found = [s for s in ctx.model.sentences if key in s.key or key in s.lead_key]
        stem = _stem(name, found, ctx)
        if stem:  # 低空经济 → also 低空智能融合基础设施, 县域经济 → 紧密型县域医共体
            found += [s for s in ctx.model.sentences if stem in s.key and s not in found]
        return tuple(found)
    found = list(entity.mentions)
    named = [entity, *(ctx.model.counties_of(entity.name) if entity.kind == "city" else ())]
    for e in named[1:]:
        found += [s for s in e.mentions if s not in found]
    # and the rest of a paragraph headed by it ("4. 长海县。建设生态低碳岛，…")
    heads = [match_key(a) for e in named for a in (e.name, *e.aliases)]
    led = {(s.location.id, s.paragraph_index) for s in found if any(_headed_by(s, h) for h in heads)}
    found += [s for s in ctx.model.sentences if (s.location.id, s.paragraph_index) in led and s not in found]
    return tuple(found)


def _stem(name: str, found: list[Sentence], ctx: Context) -> str | None:
    """The distinctive word of a topic named with a general head word (低空 of 低空经济, 县域 of
    县域经济): the plan writes it in other compounds about the same thing. Only when the head is a
    word of many places and the stem a word of few, about as few as the topic's own (数字 of
    数字经济 is in far more places than 数字经济, and is no name of it)."""
    words = [w for w in ctx.model.tokenizer.tokens(name) if len(w) >= 2]
    if len(words) != 2 or not found:
        return None

    def places(word: str) -> int:
        k = match_key(word)
        return len({s.location.id for s in ctx.model.sentences if k in s.key})

    own = len({s.location.id for s in found})
    stem, head = sorted(words, key=places)
    if ctx.model.find_entities(head):
        return None  # 大连 of 大连金普 is a place, not a general head word
    if places(head) < _HEAD_PLACES or places(stem) > _STEM_SPREAD * own:
        return None
    return match_key(stem)


def _best_in(run: list[str], ctx: Context) -> tuple[str, tuple[Sentence, ...]] | None:
    """The most specific name the run holds that the plan uses in several places: the longest
    stretch of whole words with mentions in two places or more (金普新区 in 大连金普新区,
    民营经济 rather than 经济)."""
    best: tuple[str, tuple[Sentence, ...]] | None = None
    for i in range(len(run)):
        for j in range(len(run), i, -1):
            name = "".join(run[i:j])
            if len(name) < 2 or (best and len(name) <= len(best[0])):
                continue
            mentions = _mentions_of(name, ctx)
            if len({s.location.id for s in mentions}) >= _MIN_PLACES:
                best = (name, mentions)
    return best


def subject(req: Request, ctx: Context) -> tuple[str, tuple[Sentence, ...]] | None:
    """What the question asks everything about, and its mentions.

    People put the subject first ("丹东在规划里…", "规划里关于民营经济…"): the first run of subject
    words that names something the plan uses in two places or more, at its most specific, with
    the runs joined to it by 和/与/、 ("民营经济和民营企业"). None when the plan names it in fewer
    than two places: then it is answered where it is named.
    """
    runs = subject_runs(req.text, ctx.model)
    for n, (run, _) in enumerate(runs):
        found = _best_in(run, ctx)
        if found is None:
            continue
        names, mentions = [found[0]], list(found[1])
        while joined(runs[n][1]) and n + 1 < len(runs):
            n += 1
            more = _best_in(runs[n][0], ctx)
            if more is None:
                break
            names.append(more[0])
            mentions += [s for s in more[1] if s not in mentions]
        return "、".join(names), tuple(mentions)
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
    head = ITEM_NUMBER_RE.sub("", s.lead_key, count=1)
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


def _label(s: Sentence, key: str) -> str:
    """The item a mention sits in, when its text does not say (专栏3's "（十一）菱镁精深加工及
    特色资源产业集群" for a sentence naming 鞍山 inside it): the item head, shown before the quote."""
    if s.text == s.lead or not ITEM_NUMBER_RE.match(s.lead) or key in s.lead_key:
        return ""
    head = re.split(r"[。；：:]", s.lead, maxsplit=1)[0]
    return head if len(head) <= _HEAD else ""


def compose(req: Request, ctx: Context) -> Draft | None:
    found = subject(req, ctx)
    if found is None:
        return None
    name, mentions = found
    # an item's bare head ("7. 台安县。") says nothing its next sentence, labelled with it, does not
    said = {(s.location.id, s.paragraph_index) for s in mentions if s.text != s.lead}
    mentions = tuple(
        s
        for s in mentions
        if not (
            s.text == s.lead
            and ITEM_NUMBER_RE.match(s.text)
            and len(s.text) <= _HEAD
            and (s.location.id, s.paragraph_index) in said
        )
    )
    # 专栏1 speaks in table rows: a row is shown as an indicator, its header and notes not at all
    rows = {id(s): r for s in mentions if s.location.id == "box1" and (r := indicator_row(s.key, ctx.model))}
    mentions = tuple(s for s in mentions if s.location.id != "box1" or id(s) in rows)
    keys = [match_key(n) for n in name.split("、")]
    key = keys[0]
    aspects = _aspects(req, name)
    hit_rank = ctx.hit_rank
    order = {id(s): i for i, s in enumerate(mentions)}

    def names(s: Sentence) -> bool:
        return any(k in s.key for k in keys)

    def rank(s: Sentence) -> tuple[int, int, int, int, int]:
        # within a place, the sentences that name specific things before those of general wording
        touches = sum(1 for a in aspects if a in s.key or a in s.lead_key)
        specific = -ctx.model.specificity(s)
        return (-touches, 0 if names(s) else 1, hit_rank.get(s.location.id, 99), specific, order[id(s)])

    titled = _titled(name, ctx)
    devoted, devoted_citations = _devoted(titled, ctx)
    # a lead the outline of a devoted place already shows is not quoted again among the mentions
    outlined = {match_key(c.quote) for c in devoted_citations}
    mentions = tuple(s for s in mentions if s.key not in outlined)
    defining = sorted((s for s in mentions if any(_headed_by(s, k) for k in keys)), key=rank)[:_DEFINING]
    limit = 200 if len(mentions) <= _FEW else _CLIP
    picked: list[Sentence] = list(defining)
    used = len(devoted) + sum(len(s.text) for s in defining)
    for per_place in (1, 2, 3, len(mentions)):  # one from every place first, then more
        for s in sorted(mentions, key=rank):
            if used >= _BUDGET:
                break
            if s not in picked and sum(p.location.id == s.location.id for p in picked) < per_place:
                picked.append(s)
                used += min(len(s.text), limit)
    match = next((k for k in keys), key)
    excerpts = [
        [Sentence(s.location, s.paragraph_index, _row_quote(rows[id(s)]))]
        if id(s) in rows
        else [Sentence(s.location, s.paragraph_index, x) for x in _excerpts(s.text, match, limit)]
        for s in picked
    ]
    quotes = [q for parts in excerpts for q in parts]

    def shown(s: Sentence, parts: list[Sentence]) -> str:
        if id(s) in rows:
            return f"主要指标：{indicator_line(rows[id(s)])}"
        label = _label(s, key)
        text = "……".join(q.text for q in parts)
        return f"{label}：「{text}」" if label else f"「{text}」"

    by_chapter: dict[int, list[tuple[Sentence, list[Sentence]]]] = defaultdict(list)
    for s, parts in list(zip(picked, excerpts, strict=True))[len(defining) :]:
        by_chapter[parts[0].location.chapter].append((s, parts))
    lines = [
        f"{parts[0].location.cite}：{shown(s, parts)}"
        for s, parts in list(zip(picked, excerpts, strict=True))[: len(defining)]
    ]
    for group in by_chapter.values():
        heading = group[0][1][0].location.title_path[0]
        lines.append(f"{heading}：" + " …… ".join(f"{shown(s, p)}（{p[0].location.cite}）" for s, p in group))
    total = len(mentions)
    places = list(dict.fromkeys(s.location for s in mentions))
    shown_places = {s.location.id for s in picked}
    rest = [loc for loc in places if loc.id not in shown_places]
    text = (
        f"规划纲要中涉及「{name}」的内容共{total}处，分布在{len(places)}个章节和专栏，主要有：\n"
        + "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))
    )
    if devoted:
        text = text.replace("，主要有：\n", "。" + devoted + "\n其他章节和专栏中主要有：\n", 1)
    if rest:  # every place is at least named, so nothing the plan says about it is hidden
        text += f"\n另有{len(rest)}处也提到「{name}」：" + "、".join(name_of(loc) for loc in rest) + "。"
    counted = (str(total), str(len(places)), str(len(rest)), *outline.counts(devoted))
    if any(id(s) in rows for s in picked):
        counted += TABLE_YEARS  # a row is shown with its years (2025年, 2030年)
    return Draft("about", False, text, (*devoted_citations, *cite_sentences(quotes)), counted)


def _titled(name: str, ctx: Context) -> list[Location]:
    """The sections and boxes whose titles name the subject (生态保护修复 → 第十八章第三节
    「全面加强生态保护和修复」): every word of it in the title. A chapter's title counts when none of
    its sections' does (海洋经济 → 第九章「推动海洋经济高质量发展…」)."""
    words = [w for n in name.split("、") for w in ctx.model.tokenizer.words(n) if len(w) >= 2]
    if not words:
        return []

    def names(title: str) -> bool:
        return all(match_key(w) in match_key(title) for w in words)

    doc = ctx.model.doc
    found = [loc for loc in (*doc.sections, *doc.boxes) if names(loc.title)]
    if found:
        return found[:_TITLED]
    chapters = {loc.chapter for loc in doc.sections if names(loc.title_path[0])}
    return [intro for c in sorted(chapters) if (intro := ctx.model.intro(c)) is not None][:_TITLED]


def _devoted(titled: list[Location], ctx: Context) -> tuple[str, list[Citation]]:
    """What the places devoted to the subject cover: their outlines (leads, items), cited."""
    parts: list[str] = []
    citations: list[Citation] = []
    # a box outlined after its section is not outlined again on its own
    after = {b.id for loc in titled if loc.kind == "section" for b in ctx.model.doc.boxes_of(loc.id)}
    for loc in titled:
        if loc.id in after:
            continue
        if loc.kind == "intro":
            draft = outline.chapter_outline(loc.chapter, ctx)
            parts.append(draft.text)
            citations += draft.citations
            continue
        body, cites = (
            _section_points(loc, ctx) if loc.kind == "section" else outline.outline_location(loc, ctx)
        )
        boxes = ctx.model.doc.boxes_of(loc.id) if loc.kind == "section" else ()
        extra = "".join(
            f"\n其后的专栏{b.number}「{b.title}」：\n" + outline.outline_location(b, ctx)[0] for b in boxes
        )
        citations += cites + [c for b in boxes for c in outline.outline_location(b, ctx)[1]]
        parts.append(f"{name_of(loc)}专门论述：\n{body}{extra}")
    return "\n".join(parts), citations


def _section_points(loc: Location, ctx: Context) -> tuple[str, list[Citation]]:
    """A section devoted to the subject, paragraph by paragraph: the lead, and the sentence of the
    paragraph that names the most specific things (its programmes, places, figures), clipped."""
    lines: list[str] = []
    citations: list[Citation] = []
    sentences = ctx.model.extractor.sentences[loc.id]
    for i, paragraph in enumerate(loc.paragraphs):
        if not paragraph.text.strip():
            continue
        lead = outline.leads_of(paragraph.text)
        line = strip_item_number(lead)
        citations.append(cite(loc, lead))
        rest = [s for s in sentences if s.paragraph_index == i and s.text != lead and lead not in s.text]
        best = max(rest, key=ctx.model.specificity, default=None)
        if best is not None and ctx.model.specificity(best) >= _POINT:
            point = clip_around(best.text, "", _CLIP)
            line += f"：「{point}」"
            citations.append(cite(loc, point))
        lines.append(line)
    return outline.numbered(lines), citations
