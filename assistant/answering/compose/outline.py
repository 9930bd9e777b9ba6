"""What a chapter, section or box covers: its titles and paragraph leads, each cited.

A chapter is outlined as its sections (title and the leads of their paragraphs) and boxes; a
section as the leads of its paragraphs and the boxes after it; a box as its items (grouped under
their sub-headings, as 专栏2 lists its clusters by level). The plan's paragraphs open with a lead
that names their subject ("健全养老服务体系。"), so the leads are a faithful summary in the plan's
own words. Every line shown is a verbatim quote and is cited.
"""

from __future__ import annotations

import re

from ...answers import Citation
from ...extractive import split_sentences
from ...normalize import int_to_cn
from ...parse import Location, strip_item_number
from ...query import REF_BOX, REF_SECTION
from ..intent import Request
from ..model import Item
from .common import Context, Draft, cite, name_of, numbered

__all__ = [
    "chapter_outline",
    "compose",
    "counts",
    "leads",
    "leads_of",
    "numbered",
    "outline_location",
]

_MAX_LINES = 24  # items or leads of one place
_LEADS_PER_SECTION = 4  # in a chapter outline


def leads_of(text: str, limit: int = 48) -> str:
    """A paragraph's lead: its first sentence, or the start of it up to a comma."""
    first = (split_sentences(text) or [text])[0]
    if len(first) <= limit:
        return first
    cut = max(first.rfind("，", 0, limit), first.rfind("；", 0, limit))
    return first[: cut if cut > 8 else limit]


def leads(location: Location) -> list[str]:
    return [leads_of(p.text) for p in location.paragraphs if p.text.strip()]


def outline_location(location: Location, ctx: Context) -> tuple[str, list[Citation]]:
    """A place as numbered lines (its items, else its paragraph leads) and their citations."""
    items = ctx.model.items(location) if location.kind == "box" else []
    groups = list(dict.fromkeys(i.group for i in items if i.group))
    if len(groups) >= 2:
        # a box of several kinds of items (专栏39's 7 kinds of 工程): one line per kind, its items in it
        # an item outside every group ("（五）省级粮食应急保障中心建设工程") is a kind of its own
        kinds: list[tuple[str | None, list[Item]]] = []
        for i in items:
            if i.group is not None and kinds and kinds[-1][0] == i.group:
                kinds[-1][1].append(i)
            else:
                kinds.append((i.group, [i]))
        lines, quotes = [], []
        for g, members in kinds:
            heads = "；".join(strip_item_number(i.head) for i in members)
            lines.append(f"【{g}】共{len(members)}项：{heads}" if g else heads)
            quotes += [i.head for i in members]
        total = f"\n\n（共{len(kinds)}类{len(items)}项）"
        return numbered(lines) + total, [cite(location, q) for q in quotes if q]
    if items:
        lines = [(f"【{i.group}】" if i.group else "") + strip_item_number(i.head) for i in items]
        quotes = [i.head for i in items]
    else:
        quotes = leads(location)
        lines = [strip_item_number(x) for x in quotes]
    shown = lines[:_MAX_LINES]
    more = f"\n\n（共{len(lines)}项，以上列出前{len(shown)}项）" if len(lines) > len(shown) else ""
    return numbered(shown) + more, [cite(location, q) for q in quotes[: len(shown)] if q]


def compose(req: Request, ctx: Context) -> Draft | None:
    refs = list(req.q.refs) or list(ctx.focus[:1])
    if not refs:
        return None
    loc = ctx.model.doc[refs[0]]
    names_chapter = bool(REF_SECTION.search(req.text)) and not REF_SECTION.search(req.text).group(2)  # type: ignore[union-attr]
    if loc.chapter and (loc.kind == "intro" or (names_chapter and not REF_BOX.search(req.text))):
        return chapter_outline(loc.chapter, ctx)
    body, citations = outline_location(loc, ctx)
    boxes = ctx.model.doc.boxes_of(loc.id) if loc.kind == "section" else ()
    extra = ""
    if boxes:
        extra = "\n\n本节之后的专栏：" + "；".join(f"专栏{b.number}「{b.title}」" for b in boxes) + "。"
    listed = len(ctx.model.items(loc)) if loc.kind == "box" else 0
    total = f"共{listed}项，" if listed and "（共" not in body else ""  # a long list says its count below
    text = f"{name_of(loc)}{total}主要讲了以下内容：\n{body}{extra}"
    return Draft("outline", False, text, tuple(citations), counts(text))


def chapter_outline(chapter: int, ctx: Context) -> Draft:
    model = ctx.model
    sections = model.sections(chapter)
    intro = model.intro(chapter)
    first = sections[0] if sections else intro
    heading = first.title_path[0] if first is not None else f"第{int_to_cn(chapter)}章"
    parts: list[str] = []
    citations: list[Citation] = []
    if intro is not None and intro.paragraphs:
        opening = split_sentences(intro.paragraphs[0].text)[0]
        parts.append(f"总体要求：{opening}")
        citations.append(cite(intro, opening))
    for s in sections:
        shown = leads(s)[:_LEADS_PER_SECTION]
        more = "等" if len(leads(s)) > len(shown) else ""
        parts.append(f"{s.title_path[-1]}：" + "；".join(strip_item_number(x) for x in shown) + more)
        citations += [cite(s, x) for x in shown]
    boxes = model.boxes_in(chapter)
    if boxes:
        parts.append("专栏：" + "；".join(f"专栏{b.number}「{b.title}」" for b in boxes))
    text = f"{heading}共{len(sections)}节，主要内容：\n" + numbered(parts)
    return Draft("outline", False, text, tuple(citations), (str(len(sections)), *counts(text)))


def counts(text: str) -> tuple[str, ...]:
    """The item counts an outline states itself ("共19项，以上列出前12项", "共7类46项")."""
    kinds = [n for pair in re.findall(r"共(\d+)类(\d+)项", text) for n in pair]
    return tuple(re.findall(r"共(\d+)项", text) + re.findall(r"前(\d+)项", text) + kinds)
