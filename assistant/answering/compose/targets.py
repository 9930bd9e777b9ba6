"""The targets of a field, or several figures asked at once: 专栏1 rows and target sentences.

"我们交通厅要关注哪些目标？", "教育方面有哪些量化指标？", "人均预期寿命、每千人口医生护士数都是
多少" want a set of figures. The subject terms (with a department's field and everyday words
turned into the plan's terms) pick the rows of 专栏1 that name them and the sentences of the
plan that set a target for them (a future year or a cumulative figure with a number). Sentences
are chosen to cover every subject term of the question, each shown with the item it belongs to.
"""

from __future__ import annotations

import re

from ...extractive import TABLE_YEARS, Sentence, _row_quote
from ...normalize import match_key, normalize_years
from ...parse import IndicatorRow, strip_item_number
from ..intent import Request
from ..lexicon import has_any, lexicon, names_asker, plan_terms_for
from ..model import PlanModel
from ..weights import MIN_COVERAGE, NEAR_COVERAGE
from .common import Context, Draft, Share, cite, cite_sentences, enumeration, indicator_line, numbered

_TARGET = re.compile(
    r"(到\s*20[23]\d\s*年|20[23]\d\s*年前|十五五|累计|力争|以上|达到|突破|超过|控制在|每年|年均)"
)
_FIGURE = re.compile(
    r"(?:百|千|万)亿|\d[\d.]*\s*(?:万亿元|亿元|万元|%|万千瓦|千瓦|万吨|万人|万亩|亿立方米|个|家|项|所|座|公里|条|人|岁|年|倍|个百分点|万|亿)"
)
_MAX_SENTENCES = 8
_MANY = 3  # things named in a row: a list of subjects, each with its own figure or none
_ANCHOR = 4.0  # idf of a question word specific enough that the targets shown must name it
_SHORT_HEAD = 16  # characters: a lead this short is an item's head
_LIST_NUMBER = re.compile(r"(^|[；;。：:])\s*\d+[.．、]\s*")


def _keys(req: Request) -> list[str]:
    lex = lexicon()
    frame = (
        *lex.targets,
        *lex.figure,
        *lex.list,
        "指标",
        "方面",
        "部门",
        "我们",
        "这块",
        "需要",
        "关注",
        "完成",
    )
    terms = [t for t in req.q.terms if not any(t in w or w in t for w in frame)]
    return list(dict.fromkeys(match_key(t) for t in [*terms, *plan_terms_for(req.text)] if len(t) >= 2))


def _own_keys(req: Request) -> list[str]:
    """The question's own subject words: not its framing (量化指标), not who asks (发改委投资处)."""
    asked = req.text.split("：")[-1]
    own = {match_key(t) for t in req.q.terms if not names_asker(t) and t in asked}
    return [k for k in _keys(req) if k in own]


def is_target(s: Sentence) -> bool:
    """A sentence that sets a target: a figure, and a target year or a target verb, or a figure
    in a box (a box is a programme of the plan: "发展重力式网箱 500 个" is what it will build)."""
    text = _LIST_NUMBER.sub(r"\1", normalize_years(s.text))  # "7. 人工智能…" numbers an item, not 7 人
    figure = bool(_FIGURE.search(re.sub(r"20\d{2}\s*年", "", text)))
    return figure and (bool(_TARGET.search(text)) or s.location.kind == "box")


def _head_of(s: Sentence) -> str:
    """The bare head of the item a sentence belongs to ("产业发展" for "（二）产业发展。"), if any."""
    if s.lead == s.text and len(s.text) > _SHORT_HEAD:
        return ""
    return match_key(strip_item_number(s.lead))


def _listed(req: Request, ctx: Context) -> tuple[list[IndicatorRow], list[Sentence], list[str]] | None:
    """For a question naming its subjects one after another, the best 专栏1 row or target
    sentence for each: the one covering most of the subject's words (weighted by how specific
    they are), if it covers at least MIN_COVERAGE of them."""
    listed = enumeration(req.text, ctx.model)
    if not listed:
        return None
    model = ctx.model
    targets = [s for s in model.sentences if s.location.id not in ("box1", "ch1.s1") and is_target(s)]
    scorers = []
    names: list[str] = []
    sizes: list[int] = []  # words of each subject, the plan's or not
    for words in listed:
        # words the plan never uses (控制目标) can be matched by nothing: they do not count
        keys = [k for k in (match_key(w) for w in words) if k in model.plan_key]
        if keys:
            scorers.append(Share.of(keys, model))
            names.append("".join(words))
            sizes.append(len([w for w in words if len(w) >= 2]))
    # the rows go to the things they fit best first ("能耗降低和二氧化碳排放降低": the second
    # fits its row wholly, so the first gets the other row, not the same one again)
    indicators = model.doc.indicators
    fits = sorted(
        ((max(sc(match_key(r.full_name)) for r in indicators), -n) for n, sc in enumerate(scorers)),
        reverse=True,
    )
    rows: list[IndicatorRow] = []
    chosen: list[Sentence] = []
    taken: set[int] = set()
    for _, minus_n in fits:
        sc = scorers[-minus_n]
        scored = [(sc(match_key(r.full_name)), -i) for i, r in enumerate(indicators) if r not in rows]
        if scored and max(scored)[0] >= MIN_COVERAGE:
            rows.append(indicators[-max(scored)[1]])
            taken.add(-minus_n)
    measure = _measure(req, listed, ctx)
    # places listed ("丹东、沈阳的商业航天产业产值") say where, not what: a sentence must also state
    # what was asked of them (not 丹东's gold base for being in 丹东)
    places = bool(measure.weight) and all(_is_place("".join(words), model) for words in listed)
    found: set[int] = set()
    for n, sc in enumerate(scorers):
        if n in taken:
            continue
        head = match_key(names[n])
        # among equal shares, the sentence of the item headed by exactly what was named first
        # ("产业发展" → 专栏12's "（二）产业发展。…实施重大项目150个左右"), then the one that
        # states what was asked of them all ("营收目标": 集群营收规模达到…, not the ore base's 产能)
        ranked = sorted(
            targets,
            key=lambda s: (sc(s.key, s.lead_key), _head_of(s) == head, measure(s.key, s.lead_key)),
            reverse=True,
        )
        if (
            ranked
            and sc(ranked[0].key, ranked[0].lead_key) >= MIN_COVERAGE
            # and at least half the subject's words, as asked: 营业 alone is no 铁路营业里程
            and 2 * sum(1 for k in sc.weight if k in ranked[0].key or k in ranked[0].lead_key) >= sizes[n]
            and (not places or measure(ranked[0].key, ranked[0].lead_key) >= NEAR_COVERAGE)
            and ranked[0] not in chosen
        ):
            chosen.append(ranked[0])
            found.add(n)
    rows.sort(key=model.doc.indicators.index)
    unmatched = [names[n] for n in range(len(scorers)) if n not in taken and n not in found]
    return (rows, chosen, unmatched) if rows or chosen else None


def _is_place(name: str, model: PlanModel) -> bool:
    key = match_key(name)
    return any(
        e.kind in ("city", "county") and key in (match_key(a) for a in (e.name, *e.aliases))
        for e in model.entities.values()
    )


def _measure(req: Request, listed: list[list[str]], ctx: Context) -> Share:
    """How much of what the question asks of every listed subject (its words outside the list:
    营收, 目标, the year) a sentence states, weighted by how specific the words are."""
    named = {match_key(w) for words in listed for w in words}
    keys = [k for k in (match_key(t) for t in req.q.terms if len(t) >= 2) if k not in named]
    keys += [match_key(y) for y in re.findall(r"20[23]\d", req.text)]
    return Share.of([k for k in keys if k in ctx.model.plan_key], ctx.model)


def _anchored(req: Request, rows: list[IndicatorRow], chosen: list[Sentence], ctx: Context) -> bool:
    """Whether the targets shown name the question's most specific word (商业航天): targets that
    share only its general words (产业, 产值) are someone else's figures. Who asks (发改委投资处)
    is not what is asked about."""
    model = ctx.model
    own = [k for k in _own_keys(req) if k in model.plan_key]
    anchor = max(own, key=model.extractor.idf, default=None)
    if anchor is None or model.extractor.idf(anchor) < _ANCHOR:
        return True
    shown = [match_key(r.full_name) for r in rows] + [s.key + s.lead_key for s in chosen]
    return any(anchor in x for x in shown)


def compose(req: Request, ctx: Context) -> Draft | None:
    keys = _keys(req)
    if not keys:
        return None
    doc, model = ctx.model.doc, ctx.model
    rows = [r for r in doc.indicators if any(k in match_key(r.full_name) for k in keys)]
    rows += [r for r in model.extractor.indicator_rows(req.q) if r not in rows]
    hit_rank = ctx.hit_rank
    candidates = [
        s
        for s in model.sentences
        if s.location.id != "box1"
        and s.location.id != "ch1.s1"  # 发展基础: what was achieved, not targets
        and is_target(s)
        and any(k in s.key or k in s.lead_key for k in keys)
    ]

    idf = {k: max(model.extractor.idf(k), 0.1) for k in keys}

    def covered(s: Sentence) -> set[str]:
        return {k for k in keys if k in s.key or k in s.lead_key}

    def rank(s: Sentence) -> float:
        # specific terms weigh more than generic ones; the retrieved places come first
        return -sum(idf[k] for k in covered(s)) - 2.0 / (1 + hit_rank.get(s.location.id, 99))

    chosen: list[Sentence] = []
    missing = set(keys)
    # first cover every subject term, then fill with the best remaining targets
    for s in sorted(candidates, key=rank):
        if covered(s) & missing:
            chosen.append(s)
            missing -= covered(s)
    for s in sorted(candidates, key=rank):
        if len(chosen) >= _MAX_SENTENCES:
            break
        if s not in chosen and covered(s):
            chosen.append(s)
    chosen = chosen[:_MAX_SENTENCES]
    listed = _listed(req, ctx)
    unmatched: list[str] = []
    if listed is not None:  # "A、B和C各是多少": one figure for each thing named, nothing else
        rows, chosen, unmatched = listed
    elif len(enumeration(req.text, model)) >= _MANY:
        return None  # things named one by one, none of them with a figure: no one else's figures
    elif not has_any(req.text, lexicon().targets) and not _anchored(req, rows, chosen, ctx):
        return None  # one figure asked ("…的产值目标是多少"), and none shown is of its subject
    if not rows and not chosen:
        return None
    parts: list[str] = []
    citations = []
    box = doc["box1"]
    if rows:
        lines = [indicator_line(r) for r in rows]
        parts.append("专栏1主要指标：\n" + numbered(lines))
        citations += [cite(box, _row_quote(r)) for r in rows]
    if chosen:
        lines = []
        for s in chosen:
            owner = s.lead.rstrip("。") if s.lead != s.text and s.lead_key not in s.key else ""
            lines.append((f"【{owner}】" if owner else "") + s.text + f"（{s.location.cite}）")
        parts.append("规划正文中的目标：\n" + numbered(lines))
        citations += list(cite_sentences(chosen))
        citations += [
            cite(s.location, s.lead) for s in chosen if s.lead != s.text and s.lead_key not in s.key
        ]
    if unmatched:  # said, so that a missing figure is not read as forgotten
        parts.append("规划纲要中没有找到" + "、".join(f"「{u}」" for u in unmatched) + "的量化目标。")
    return Draft("targets", False, "\n\n".join(parts), tuple(citations), TABLE_YEARS if rows else ())
