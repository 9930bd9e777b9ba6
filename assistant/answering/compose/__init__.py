"""One composer per kind of answer; :func:`compose` routes a request to the right one.

Order matters only where a question could be read two ways: a place that does not exist is
said so first; structure, outline, table, enterprise and everything-about questions have their
own composers; figures, lists, where-questions and facts go to the sentence composer
(:class:`assistant.extractive.Extractor`), which binds a figure to its subject; an open question
without a sentence that answers it gets the overview composer, and without evidence an
abstention.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ...normalize import match_key
from ...parse import Location
from ...policy import PolicyMatcher
from ..followup import own_words
from ..intent import Intent, Request
from ..lexicon import lexicon, names_asker, plan_terms_for
from ..model import Item
from . import about, aspects, enterprise, indicator_table, outline, overview, projects, structure, targets
from .common import Context, Draft, cite

__all__ = ["Context", "Draft", "combine", "compose"]


def compose(
    req: Request, ctx: Context, matcher: PolicyMatcher | None = None, item: tuple[str, int] | None = None
) -> Draft:
    if item is not None:
        return _item(ctx, item)
    intent = req.intent
    if intent is Intent.MISSING_PLACE:
        return structure.missing(req, ctx)
    if intent in (Intent.ABOUT, Intent.OVERVIEW, Intent.LIST, Intent.FACT) and not req.q.refs:
        listed = aspects.compose(req, ctx)  # "社会救助、儿童福利、殡葬…方面的任务": each topic
        if listed is not None:
            return listed
        if _box_by_title(req, ctx) is None:  # "交通方面有哪些重大项目" is 专栏25 as a whole
            found = projects.compose(req, ctx)  # "和地震相关的项目有哪几个": every box item naming it
            if found is not None:
                return found
    special = {
        Intent.STRUCTURE: lambda: structure.compose(req, ctx),
        Intent.OUTLINE: lambda: outline.compose(req, ctx),
        Intent.INDICATOR_TABLE: lambda: indicator_table.table(req, ctx),
        Intent.ENTERPRISE: lambda: enterprise.compose(req, ctx, matcher) if matcher else None,
        Intent.ABOUT: lambda: about.compose(req, ctx),
        Intent.TARGETS: lambda: targets.compose(req, ctx),
        Intent.OVERVIEW: lambda: overview.compose(req, ctx) if not req.q.refs else None,
    }.get(intent)
    if special is not None:
        draft = special()
        if draft is not None:
            if intent is Intent.OVERVIEW and _TARGETS_TOO.search(req.text):
                draft = _with_targets(draft, req, ctx)  # "有什么支持和目标": the measures, then the figures
            return draft
    if intent in (Intent.LIST, Intent.OVERVIEW, Intent.FACT) or _COUNT_ASKED.search(req.text):
        grouped = _named_group(req, ctx)
        if grouped is not None:
            return grouped
    if intent in (Intent.LIST, Intent.OVERVIEW) and not req.q.refs:
        box = _box_by_title(req, ctx)
        if box is not None:  # "交通方面有哪些重大项目": 专栏25「现代综合交通重大项目」 as a whole
            return outline.compose(replace(req, q=replace(req.q, refs=(box.id,))), ctx) or Draft(
                "list", True, "", ()
            )
    extractor = ctx.model.extractor
    draft = extractor.answer(req.q, list(ctx.hits), ctx.focus, ctx.dense, subjects=req.entities)
    if draft.kind == "indicator" and not draft.abstained:
        rows = extractor.indicator_rows(req.q)
        computed = indicator_table.change(req, rows)
        if computed:
            text, numbers = computed
            draft = replace(draft, text=draft.text + text, computed=numbers)
    if draft.kind == "list" and not draft.abstained:
        draft = _whole_grouped_list(req, ctx, draft)
    if draft.abstained and draft.kind == "open":
        found = overview.compose(req, ctx)
        if found is not None:
            return found
    return draft


_TARGETS_TOO = re.compile(r"(和|与|及|、)(目标|指标)|(目标|指标)(和|与|及|、)")


def _with_targets(draft: Draft, req: Request, ctx: Context) -> Draft:
    found = targets.compose(req, ctx)
    if found is None or found.abstained:
        return draft
    return Draft(
        draft.kind,
        False,
        draft.text + "\n\n相关目标：\n" + found.text,
        draft.citations + found.citations,
        draft.computed + found.computed,
    )


_COUNT_ASKED = re.compile(r"(几|多少)(项|个|类|条|大类)")  # "关键救援力量提升工程一共几项"
_SPECIFIC = 3.5  # idf of a word specific enough that the box must contain it


def _box_by_title(req: Request, ctx: Context) -> Location | None:
    """The one box whose title names two or more of the question's subjects (its own words, or the
    plan's terms for its department or everyday words)."""
    terms = {t for t in (*req.q.terms, *plan_terms_for(req.text)) if len(t) >= 2}
    scored = [(sum(t in box.title for t in terms), box) for box in ctx.model.doc.boxes]
    best = max((n for n, _ in scored), default=0)
    winners = [box for n, box in scored if n == best]
    if best < 2 or len(winners) != 1:
        return None
    # and the question's specific words (万亿级 is not in 专栏3) are all in its title or items
    box = winners[0]
    context = box.title + "".join(i.head for i in ctx.model.items(box))
    asker = tuple(lexicon().departments)  # who asks (交通厅) is not what is asked about
    specific = [
        t
        for t in req.q.terms
        if ctx.model.extractor.idf(t) >= _SPECIFIC
        and not any(d in t for d in asker)
        and not t.endswith(("厅", "委", "局", "处"))
        and t in req.text.split("：")[-1].split(":")[-1]
    ]
    return box if 3 * sum(t in context for t in specific) >= 2 * len(specific) else None


def _named_group(req: Request, ctx: Context) -> Draft | None:
    """ "世界级产业集群有哪些", "专栏25里铁路和机场方面…": the items a box lists under the
    sub-headings the question names."""
    # words the plan never writes (一共) cannot point elsewhere, nor can who asks (交通厅)
    asked = [t for t in req.q.terms if match_key(t) in ctx.model.plan_key and not names_asker(t)]
    found: list[tuple[Location, str, list[Item]]] = []
    # a follow-up's own words before the question it leans on ("机场（接上问：…铁路方面…）")
    own = own_words(req.text)
    for box in ctx.model.doc.boxes:
        items = ctx.model.items(box)
        groups = [g for g in dict.fromkeys(i.group for i in items if i.group) if g and len(g) >= 2]
        named = [g for g in groups if g in own] or [g for g in groups if g in req.text]
        if not named:
            continue
        members = {g: [i for i in items if i.group == g] for g in named}
        # the rest of the question must be about this box ("产业集群" of 专栏2), not another list
        context = box.title + "".join(i.head for g in named for i in members[g])
        if all(any(t in g or g in t for g in named) or t in context for t in asked):
            found += [(box, g, members[g]) for g in named]
    if not found or len({box.id for box, _, _ in found}) != 1:
        return None  # groups of one box only ("专栏25里铁路和机场方面…"), never of several
    box = found[0][0]
    blocks = [
        f"{group}共{len(items)}个：\n" + "\n".join(f"{n}. {i.head}" for n, i in enumerate(items, start=1))
        for _, group, items in found
    ]
    text = f"根据{box.cite}，" + "\n\n".join(blocks)
    cited = tuple(cite(box, i.head) for _, _, items in found for i in items)
    return Draft("list", False, text, cited, tuple(str(len(items)) for _, _, items in found))


def _whole_grouped_list(req: Request, ctx: Context, draft: Draft) -> Draft:
    """A list quoted from one group of a grouped box (专栏2's 世界级 clusters) when the question
    names no group: the whole box, every group, answers it."""
    loc = ctx.model.doc[draft.citations[0].location] if draft.citations else None
    if loc is None or loc.kind != "box":
        return draft
    items = ctx.model.items(loc)
    groups = {i.group for i in items if i.group}
    if len(groups) < 2 or any(g in req.text for g in groups):
        return draft
    quoted = "".join(c.quote for c in draft.citations)
    if not any(sum(i.head in quoted for i in items if i.group == g) >= 2 for g in groups):
        return draft  # the answer is not one group's list (专栏27's "三基地、一中心" sentence)
    body, citations = outline.outline_location(loc, ctx)
    return Draft("list", False, f"根据{loc.cite}：\n{body}", tuple(citations), outline.counts(body))


def _item(ctx: Context, item: tuple[str, int]) -> Draft:
    loc = ctx.model.doc[item[0]]
    text = loc.paragraphs[item[1]].text
    return Draft("item", False, f"{loc.cite}中的这一项：{text}", (cite(loc, text),))


def combine(questions: list[str], drafts: list[Draft]) -> Draft:
    """The answers to the parts of one question, each under its part; abstained only if all are."""
    lines: list[str] = []
    answered: dict[str, int] = {}
    for n, (question, draft) in enumerate(zip(questions, drafts, strict=True), start=1):
        # a part answered by the very passage of an earlier part says so, not the passage again
        same = answered.get(draft.text) == n - 1 and not draft.abstained
        lines.append(
            f"（{n}）{question}\n" + ("同上一问：答案在上面的同一段原文中。" if same else draft.text)
        )
        answered.setdefault(draft.text, n)
    citations = tuple(dict.fromkeys(c for d in drafts for c in d.citations))
    # the asker's own numbers, echoed with each part, are no claim of the plan's
    # and so are the years an abstaining part says the plan does not give
    said = questions + [d.text for d in drafts if d.abstained]
    echoed = tuple(n for q in said for n in re.findall(r"\d+(?:\.\d+)?", q))
    computed = tuple(x for d in drafts for x in d.computed) + echoed
    abstained = all(d.abstained for d in drafts)
    return Draft("parts", abstained, "\n\n".join(lines), citations, computed)
