"""Questions about the plan's structure, answered from the parsed structure itself.

How many chapters, sections or boxes; what a chapter, section or box is called; which chapter
and section a box belongs to; and a plain "the plan has no such place" for places it lacks
(第二十五章, 专栏40, 第十四章第九节). Counts are computed from the structure and marked as such;
every place named is cited with its opening sentence.
"""

from __future__ import annotations

import re

from ...answers import Citation
from ...normalize import cn_to_int, int_to_cn
from ...parse import Location
from ...query import REF_BOX, REF_SECTION
from ..intent import Request
from .common import Context, Draft, cite, first_sentence_of, name_of, numbered


def _opening(location: Location) -> Citation:
    return cite(location, first_sentence_of(location))


def _chapter_heading(location: Location) -> str:
    return location.title_path[0]  # "第十二章 扎实推进乡村全面振兴 加快建设农业强省"


def _named_chapter(req: Request, ctx: Context) -> int | None:
    """The chapter the question names, else the one the conversation is about."""
    m = REF_SECTION.search(req.text)
    if m:
        return cn_to_int(m.group(1))
    loc = ctx.model.doc.get(ctx.focus[0]) if ctx.focus else None
    return loc.chapter if loc is not None and loc.chapter else None


def _names_chapter_only(text: str) -> bool:
    m = REF_SECTION.search(text)
    return bool(m and not m.group(2) and not REF_BOX.search(text))


def missing(req: Request, ctx: Context) -> Draft:
    """The plan has no such place: say what it has instead."""
    doc, model = ctx.model.doc, ctx.model
    named = req.missing or ""
    m = REF_SECTION.search(named)
    if "题为" in named:
        return _missing_title(named, m, ctx)
    if "专栏" in named or m is None:
        text = f"规划纲要共有{len(doc.boxes)}个专栏（专栏1至专栏{len(doc.boxes)}），没有{named}。"
        return Draft("structure", True, text, (), (str(len(doc.boxes)), "1"))
    sections = model.sections(cn_to_int(m.group(1)))
    if sections and m.group(2):
        chapter = _chapter_heading(sections[0]).split(" ")[0]
        text = f"{chapter}共有{len(sections)}节，没有{named}。该章各节为：\n"
        text += numbered([s.title_path[-1] for s in sections])
        return Draft("structure", True, text, tuple(_opening(s) for s in sections), (str(len(sections)),))
    n = model.chapter_count
    text = f"规划纲要共{n}章（第一章至第{int_to_cn(n)}章），没有{named}。"
    return Draft("structure", True, text, (), (str(n),))


def _missing_title(named: str, chapter: re.Match[str] | None, ctx: Context) -> Draft:
    """No part has the title asked for: the parts there are (the named chapter's sections, else the
    plan's chapters or boxes), so the asker can find the one meant."""
    model = ctx.model
    if chapter is not None and (sections := model.sections(cn_to_int(chapter.group(1)))):
        parts: list[Location] = list(sections)
        scope = f"{chapter.group(0)}共有{len(sections)}节"
    elif named.endswith("专栏"):
        parts, scope = list(model.doc.boxes), f"规划纲要共有{len(model.doc.boxes)}个专栏"
    else:
        parts = [model.doc[c.locations[0]] for c in model.doc.chapters if c.locations]
        scope = f"规划纲要共{model.chapter_count}章"
    where = chapter.group(0) if chapter is not None else "规划纲要"
    text = f"{where}中没有{named.removeprefix(where)}。{scope}：\n" + numbered(
        [p.title_path[-1] if p.kind != "intro" else p.title_path[0] for p in parts]
    )
    return Draft("structure", True, text, tuple(_opening(p) for p in parts[:12]))


def _chapters(ctx: Context) -> Draft:
    doc = ctx.model.doc
    lines = [f"第{int_to_cn(c.number)}章 {c.title}" for c in doc.chapters]
    cited = [doc[c.locations[0]] for c in doc.chapters if c.locations]
    text = f"规划纲要共{len(doc.chapters)}章：\n" + numbered(lines)
    return Draft("structure", False, text, tuple(_opening(x) for x in cited), (str(len(doc.chapters)),))


def _boxes(req: Request, ctx: Context) -> Draft:
    model = ctx.model
    chapter = _named_chapter(req, ctx) if REF_SECTION.search(req.text) else None
    boxes = model.boxes_in(chapter) if chapter else list(model.doc.boxes)
    scope = f"第{int_to_cn(chapter)}章" if chapter else "规划纲要"
    text = f"{scope}共有{len(boxes)}个专栏：\n" + numbered([b.title_path[-1] for b in boxes])
    return Draft("structure", False, text, tuple(_opening(b) for b in boxes), (str(len(boxes)),))


def _sections(req: Request, ctx: Context) -> Draft:
    doc, model = ctx.model.doc, ctx.model
    chapter = _named_chapter(req, ctx)
    if chapter is None:  # all of them, chapter by chapter
        counts = [len(model.sections(c.number)) for c in doc.chapters]
        lines = [
            f"第{int_to_cn(c.number)}章 {c.title}：{n}节" for c, n in zip(doc.chapters, counts, strict=True)
        ]
        text = f"规划纲要共{len(doc.chapters)}章、{sum(counts)}节。各章节数：\n" + numbered(lines)
        cited = [doc[c.locations[0]] for c in doc.chapters if c.locations]
        computed = (str(sum(counts)), str(len(doc.chapters)), *map(str, counts))
        return Draft("structure", False, text, tuple(_opening(x) for x in cited), computed)
    sections = model.sections(chapter)
    heading = _chapter_heading(sections[0]) if sections else f"第{int_to_cn(chapter)}章"
    text = f"{heading}共有{len(sections)}节：\n" + numbered([s.title_path[-1] for s in sections])
    boxes = model.boxes_in(chapter)
    if boxes:
        text += "\n\n另有专栏：" + "；".join(b.title_path[-1] for b in boxes) + "。"
    return Draft("structure", False, text, tuple(_opening(s) for s in sections), (str(len(sections)),))


def _named(req: Request, ctx: Context, boxes_only: bool = False) -> Location | None:
    """The place the question names; for a chapter alone, its intro (or first section)."""
    doc = ctx.model.doc
    refs = list(req.q.refs)
    if boxes_only or REF_BOX.search(req.text):
        refs = [r for r in refs if r.startswith("box")] or ([] if boxes_only else refs)
    loc = doc.get(refs[0]) if refs else None
    if loc is not None and loc.kind == "section" and _names_chapter_only(req.text):
        return doc.get(f"ch{loc.chapter}.s0") or loc
    return loc


def _title(req: Request, ctx: Context) -> Draft | None:
    loc = _named(req, ctx)
    if loc is None:
        return None
    if loc.kind == "intro" or _names_chapter_only(req.text):
        number, title = _chapter_heading(loc).split(" ", 1)
        return Draft("structure", False, f"{number}的标题是「{title}」。", (_opening(loc),))
    # "第十九章第三节和第四节分别叫什么": every place named, in the order named
    places = [p for r in dict.fromkeys(req.q.refs) if (p := ctx.model.doc.get(r)) is not None]
    if len(places) > 1 and all(p.kind in ("section", "box") for p in places):
        text = "标题分别是：" + "；".join(name_of(p) for p in places) + "。"
        return Draft("structure", False, text, tuple(_opening(p) for p in places))
    label = loc.title_path[-1].split(" ")[0]
    text = f"{label}的标题是「{loc.title}」，位于{_chapter_heading(loc)}。"
    return Draft("structure", False, text, (_opening(loc),))


def _box_place(req: Request, ctx: Context) -> Draft | None:
    box = _named(req, ctx, boxes_only=True)
    if box is None:
        return None
    parent = ctx.model.doc.get(box.parent) if box.parent else None
    after = f"，排在{name_of(parent)}之后" if parent else ""
    text = f"专栏{box.number}「{box.title}」位于{_chapter_heading(box)}{after}。"
    return Draft("structure", False, text, (_opening(box), *((_opening(parent),) if parent else ())))


def compose(req: Request, ctx: Context) -> Draft | None:
    ask = req.structure
    if ask == "chapters":
        return _chapters(ctx)
    if ask == "boxes":
        return _boxes(req, ctx)
    if ask == "sections":
        return _sections(req, ctx)
    if ask == "title":
        return _title(req, ctx)
    if ask == "box_place":
        return _box_place(req, ctx)
    return None
