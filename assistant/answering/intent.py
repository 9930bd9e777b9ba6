"""What kind of answer a question wants, read from its normalised text and jieba tokens.

The reading is layered: :func:`assistant.query.classify` gives the sentence-level facts (years,
asked unit, provinces, subject terms, explicit places); this module decides the *intent* — which
composer answers — from the plan's structure (does the named place exist? is the subject a named
thing of the plan?) and a few word lists (:mod:`.lexicon`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from ..normalize import cn_to_int, match_key
from ..parse import Location
from ..query import REF_BOX, REF_SECTION, Question, classify
from .lexicon import has_any, lexicon, names_asker
from .model import Entity, PlanModel
from .subjects import enumeration
from .weights import SPREAD


class Intent(StrEnum):
    MISSING_PLACE = "missing_place"  # names a chapter, section or box the plan does not have
    STRUCTURE = "structure"  # how many chapters/sections/boxes, a title, where a box is
    OUTLINE = "outline"  # what a chapter, section or box covers
    INDICATOR_TABLE = "indicator_table"  # 专栏1 as a table: filters, changes, comparisons
    ENTERPRISE = "enterprise"  # a company describing itself
    TARGETS = "targets"  # the targets of a field, or several figures at once
    ABOUT = "about"  # everything about a named thing or topic
    OVERVIEW = "overview"  # how a problem is addressed
    WHERE = "where"
    FIGURE = "figure"
    WHEN = "when"
    LIST = "list"
    FACT = "fact"


@dataclass(frozen=True)
class Request:
    """A question read: its normalised text, its intent and what it names."""

    text: str
    intent: Intent
    q: Question
    entities: tuple[Entity, ...] = ()
    missing: str | None = None  # "第二十五章" when the plan has no such place
    structure: str | None = None  # chapters | sections | boxes | title | box_place


_SECTION_ONLY = re.compile(r"第\s*([一二三四五六七八九十]+)\s*节")
_CHAPTER_WORD = re.compile(r"第[一二三四五六七八九十]+章")


def missing_place(text: str, model: PlanModel) -> str | None:
    """The first place the question names that the plan does not have."""
    doc = model.doc
    for m in REF_SECTION.finditer(text):
        chapter = cn_to_int(m.group(1))
        if not doc.get(f"ch{chapter}.s1") and not doc.get(f"ch{chapter}.s0"):
            return m.group(0)
        if m.group(2) and not doc.get(f"ch{chapter}.s{cn_to_int(m.group(2))}"):
            return m.group(0)
    for m in REF_BOX.finditer(text):
        if not doc.get(f"box{cn_to_int(m.group(1))}"):
            return m.group(0)
    return _missing_title(text, model)


# a part named by its title: “优化人才发展环境”那一节, 「城市更新工程」这个专栏
_TITLED_PART = re.compile(r"[“\"「『]([^”\"」』]{2,30})[”\"」』](?:那|这|的)?一?个?(节|章|专栏)")


def _missing_title(text: str, model: PlanModel) -> str | None:
    """A section, chapter or box named by a title the plan does not have, nor writes anywhere
    (a phrase the plan does write names the part it is in, and is answered from there)."""
    doc = model.doc
    for m in _TITLED_PART.finditer(text):
        name, unit = _title_key(m.group(1)), m.group(2)
        plain = model.plan_plain_key
        if unit == "专栏":
            titles = [b.title for b in doc.boxes]
        elif unit == "章":
            titles = [c.title for c in doc.chapters]
        else:
            titles = [loc.title for loc in doc.sections]
        if name in plain or any(name in _title_key(t) or _title_key(t) in name for t in titles):
            continue
        chapter = REF_SECTION.search(text)
        scope = chapter.group(0) if chapter and not chapter.group(2) else ""
        return f"{scope}题为「{m.group(1)}」的{'一' if unit != '专栏' else ''}{unit}"
    return None


_NOT_NAMING = ("v", "d", "p", "c", "r", "m", "q", "u")  # jieba flags of words that name no thing
_MIN_TITLE = 4  # characters: a shorter title ("城镇化") is a word, not a name


def _title_key(title: str) -> str:
    return re.sub(r"[“”\"‘’「」《》\s]", "", match_key(title))


def titled_by_words(q: Question, model: PlanModel) -> Location | None:
    """The one part whose own title has every word of the question that any title has: a summary
    asked of a part by its title's words rather than its number (规划的主要目标有哪些 → 第一章第五节
    「发展目标」, 概括规划在民生方面的安排 → 第十七章). Words no title has (主要, 安排) say how it is
    asked; a title word that many titles share (发展) narrows nothing by itself."""
    parts = [loc for loc in model.doc.locations if loc.kind in ("intro", "section", "box")]
    titles = {loc.id: _title_key(loc.title_path[0] if loc.kind == "intro" else loc.title) for loc in parts}
    words = [
        k
        for t in q.terms
        if len(k := match_key(t)) >= 2
        and t not in lexicon().parts
        and k not in _PLAN_NAME  # 十五五, 辽宁: the plan's own name is in every title's document
        and any(k in v for v in titles.values())
    ]
    if not words or all(sum(w in v for v in titles.values()) > _SHARED_TITLE_WORD for w in words):
        return None
    having = [loc for loc in parts if all(w in titles[loc.id] for w in words)]
    return having[0] if len(having) == 1 else None


_SHARED_TITLE_WORD = 3  # a word in more titles than this (发展, 建设) names no one part
_PLAN_NAME = "辽宁省十五五规划纲要"


# the plan named as a whole, or its period: 十五五规划纲要, 辽宁省规划, 十五五时期
_WHOLE_PLAN = re.compile(
    r"(?:辽宁省?)?(?:[“\"]?十[四五]五[”\"]?)(?:时期|期间)?|(?:辽宁省?)?(?:规划纲要|规划|纲要)|辽宁省?|这个|整个"
)
_GENERAL = 0.3  # a word in more than this share of the plan's places names no subject (发展, 建设)


def plan_part(text: str, model: PlanModel) -> Location | str | None:
    """What a question about the plan as a whole asks for, when it names no subject of its own:
    the one part whose title alone has a word asked about (规划的主要目标 → 第一章第五节「发展目标」,
    规划对当前形势怎么判断 → 「面临形势」), or "plan" for the whole plan's outline (概括一下这个规划, 规划主要讲了什么); None for a question with a subject."""
    lex = lexicon()
    rest = _WHOLE_PLAN.sub(" ", text)
    if rest == text and not has_any(text, lex.outline):
        return None  # the plan itself is not named: a question without a subject is no summary of it
    framing = (*lex.outline, *lex.parts, *lex.list, *lex.targets, *lex.figure)
    tokens = [
        t
        for t in model.tokenizer.tokens(rest)
        if len(t) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", t) and not any(t in w for w in lex.outline)
    ]
    in_plan = [t for t in tokens if match_key(t) in model.plan_key]
    places = len(model.doc.locations)

    def share(t: str) -> float:
        k = match_key(t)
        return len({s.location.id for s in model.sentences if k in s.key}) / places

    subject = [t for t in in_plan if share(t) <= _GENERAL and not any(t in w or w in t for w in framing)]
    titles = [loc for loc in model.doc.locations if loc.kind in ("section", "box")]
    asked = [
        having[0]
        for t in in_plan
        if len(having := [loc for loc in titles if match_key(t) in match_key(loc.title)]) == 1
    ]
    if subject and not asked:
        return None
    summary = has_any(text, lex.outline)
    # "规划的主要目标有哪些": the part asked for whole; not "哪个城市为区域中心城市" (a fact in it)
    whole = not subject and bool(re.search(r"(有哪些|是什么|有什么|包括哪些)[？?。\s]*$", text))
    # "生态保护修复方面都讲了哪些": everything about a topic (ABOUT leads with its part, then the rest)
    everything = has_any(text, lex.about) or bool(re.search(r"都(讲|说|写|提|涉及)", text))
    if (
        len(set(asked)) == 1
        and ((summary and not everything) or whole)
        and all(match_key(t) in match_key(asked[0].title) for t in subject)
    ):
        return asked[0]
    if not subject and summary:
        return "plan"
    return None


def named_by_title(text: str, model: PlanModel) -> Location | None:
    """The box or section whose whole title the question writes (城市更新工程, 生态安全屏障工程);
    the longest when several do."""
    key = _title_key(text)
    named = [
        loc
        for loc in (*model.doc.boxes, *model.doc.sections)
        if len(_title_key(loc.title)) >= _MIN_TITLE and _title_key(loc.title) in key
    ]
    return max(named, key=lambda loc: len(loc.title), default=None)


def structure_ask(text: str) -> str | None:
    lex = lexicon()
    # 好几章 says "several chapters" and 第几章 "which chapter": neither asks a count
    if has_any(re.sub(r"好几|第几", "多", text), lex.count):
        named = REF_SECTION.search(text)
        if REF_BOX.search(text) or (named and named.group(2)):
            return "parts"  # 专栏3有几部分, 第十章第二节分几块: the location's own items, its outline
        if "专栏" in text:
            return "boxes"
        # 第七章分几部分: a named chapter's parts are its sections, the plan's are its chapters
        return "sections" if named or "几节" in text else "chapters"
    chapter = REF_SECTION.search(text)
    if (
        chapter
        and not chapter.group(2)
        and re.search(r"(有没有|有无|有哪些|哪几个|都有啥|有啥)专栏|专栏(有哪些|是哪几个)", text)
    ):
        return "boxes"  # 第十一章有没有专栏: the chapter's boxes
    named = REF_SECTION.search(text) or REF_BOX.search(text)
    if named and has_any(text, lex.title):
        return "title"
    if REF_BOX.search(text) and re.search(r"(在|属于|位于)?(哪一?[章节]|第几[章节]|哪个章节|哪部分)", text):
        return "box_place"
    if (
        REF_SECTION.search(text)
        and not _SECTION_ONLY.search(text)
        and re.search(r"(哪几节|哪些节|分几节|有哪些小节)", text)
    ):
        return "sections"
    return None


def understand(text: str, model: PlanModel) -> Request:
    """Read a standalone, normalised question."""
    lex = lexicon()
    q = classify(text, model.doc, model.tokenizer)
    if not q.refs:
        titled = named_by_title(text, model)
        if titled is not None:  # "生态安全屏障工程都有哪些项目": 专栏38 named by its title
            q = replace(q, refs=(titled.id,))
    entities = tuple(model.find_entities(text))
    # (not "都说了什么": everything about a topic leads with its part, then the rest, see ABOUT)
    summary = has_any(text, lex.outline) and not has_any(text, (*_SAYS, *lex.about))
    if not q.refs and not entities and not q.unit and summary:
        titled = titled_by_words(q, model)
        if titled is not None:  # "规划的主要目标有哪些": 第一章第五节「发展目标」, its outline
            return Request(text, Intent.OUTLINE, replace(q, refs=(titled.id,)), entities)
    if not q.refs and not q.unit and all(_WHOLE_PLAN.fullmatch(e.name) for e in entities):
        part = plan_part(text, model)
        if part == "plan":  # "用几句话概括一下这个规划": the plan's own outline, its chapters
            return Request(text, Intent.STRUCTURE, q, entities, structure="chapters")
        if isinstance(part, Location):  # "规划的主要目标有哪些": 第一章第五节「发展目标」
            return Request(text, Intent.OUTLINE, replace(q, refs=(part.id,)), entities)
    missing = missing_place(text, model)
    if missing:
        return Request(text, Intent.MISSING_PLACE, q, entities, missing=missing)
    structure = structure_ask(text)
    if q.refs and (structure == "parts" or (structure == "sections" and has_any(text, lex.outline))):
        # "第十章讲了哪些内容？分几节？": the chapter's outline says both (共7节, and what each covers)
        return Request(text, Intent.OUTLINE, q, entities)
    if structure:
        return Request(text, Intent.STRUCTURE, q, entities, structure=structure)
    if (
        q.refs
        and q.kind != "where"
        and not q.unit
        and (has_any(text, lex.outline) or all(t in lex.parts for t in q.terms) or _title_terms(q, model))
    ):
        return Request(text, Intent.OUTLINE, q, entities)
    if _table_question(text, q, model):
        return Request(text, Intent.INDICATOR_TABLE, q, entities)
    if _enterprise(text, q):
        return Request(text, Intent.ENTERPRISE, q, entities)
    main = main_entity(entities)
    # a thing the plan names in several places; one named once is answered where it is named
    spread = main is not None and len({m.location.id for m in main.mentions}) >= SPREAD
    # "规划对盘锦都写了什么": a what-does-it-say question naming no place asks about its subject
    # "规划对盘锦都写了什么", "鞍山出现在哪些地方": what the plan says, wherever it says it
    says = not q.refs and (
        has_any(text, _SAYS) or bool(_SAYING.search(text)) or bool(_PLACES_ASKED.search(text))
    )
    about = has_any(text, lex.about) or says
    if about and spread and main is not None and main.kind in ("city", "cluster"):
        return Request(text, Intent.ABOUT, q, entities)  # 金普新区有什么定位和目标
    if says and not _SEVERAL_FIGURES.search(text):
        return Request(text, Intent.ABOUT, q, entities)  # 关于职业教育，规划一共说了些什么
    if has_any(text, lex.targets) or _SEVERAL_FIGURES.search(text) or _figures_of_several(text, model):
        return Request(text, Intent.TARGETS, q, entities)
    if q.kind in ("figure", "when", "where") or q.unit:
        return Request(
            text, Intent(q.kind) if q.kind in ("figure", "when", "where") else Intent.FIGURE, q, entities
        )
    # "X都有什么": everything about X when X, the most specific thing named, is named in several places
    specific = max(entities, key=lambda e: len(e.name)) if entities else None
    widespread = specific is not None and len({m.location.id for m in specific.mentions}) >= SPREAD
    if about or (widespread and _only_names(q, entities) and has_any(text, lex.list)):
        return Request(text, Intent.ABOUT, q, entities)
    if has_any(text, lex.overview):
        return Request(text, Intent.OVERVIEW, q, entities)
    if q.kind == "list":
        return Request(text, Intent.LIST, q, entities)
    return Request(text, Intent.FACT, q, entities)


_SAYS = tuple(w for w in lexicon().outline if any(c in w for c in "讲说写内容"))
# where, in the plural: every place it is named (出现在哪些地方, 哪几处提到, 都在哪些章节)
_PLACES_ASKED = re.compile(r"(哪些|哪几)(个)?(地方|处|章节|部分|位置)|都在哪")
# a verb of saying with an open object: 写了哪些东西, 提到过什么, 都谈了些啥
_SAYING = re.compile(
    r"(讲|说|写|提|谈)(了|到|过|的)*(些|哪些|什么|啥)|(怎么|如何|怎样)(写|说|讲|部署|布局)|写进了?规划"
)
_KIND_PRIORITY = {"cluster": 0, "city": 1, "quoted": 2}
# "A、B和C分别要达到多少": several figures at once
_SEVERAL_FIGURES = re.compile(
    r"(分别|各自?)(是|为|要|有)?.{0,6}(多少|几)"  # A、B和C分别要达到多少 / 各是多少
    r"|(目标|指标).{0,4}分别(是|怎么|如何|定)"  # A目标和B目标分别是什么 / 是怎么定的
    r"|[^、，,：:]{2,}、[^、，,]{2,}.{0,12}(这几个|这些|几项)?(指标|目标)(是|有)?(多少|什么)?[？?]?$"  # A、B、C这几个指标的目标
)


_TARGET_ASKED = re.compile(r"(目标|指标)(值)?(分别|各)?(是|为|要|定了|达到)?(多少|什么)")


def _figures_of_several(text: str, model: PlanModel) -> bool:
    """ "城镇老旧小区改造和保障性住房的目标是多少": the targets of two or more things named together."""
    return bool(_TARGET_ASKED.search(text)) and len(enumeration(text, model)) >= 2


def main_entity(entities: tuple[Entity, ...]) -> Entity | None:
    """What a question is mainly about: a cluster before a city before a quoted name, then the longest."""
    if not entities:
        return None
    return min(entities, key=lambda e: (_KIND_PRIORITY.get(e.kind, 9), -len(e.name)))


def _enterprise(text: str, q: Question) -> bool:
    """A company describing itself (我们是营口一家做…的企业), not an official of a department."""
    lex = lexicon()
    if any(d in text for d in lex.departments) or re.search(r"[厅委局办]这?[边块里]|[厅委局]的", text):
        return False
    return (
        q.kind == "enterprise"
        or has_any(text, lex.self_description)
        or (has_any(text, lex.enterprise) and has_any(text, lex.enterprise_nouns))
    )


def _title_terms(q: Question, model: PlanModel) -> bool:
    """Every subject term is in the title of the place named (专栏5的未来产业布局有哪些方向)."""
    title = "".join(model.doc[r].title for r in q.refs)
    # a place named by its number (专栏39) is what is asked about: words that name nothing inside
    # it (包括: a verb; 一共, 几大类: words the plan never writes) leave its outline as the answer
    numbered = bool(REF_BOX.search(q.text) or REF_SECTION.search(q.text))
    flags = dict(model.tokenizer.tagged(q.text)) if numbered else {}

    def frames(t: str) -> bool:
        if t in lexicon().parts or names_asker(t):  # who asks (林草局) is not what is asked about
            return True
        flag = flags.get(t, "n")
        return numbered and (match_key(t) not in model.plan_key or (flag[:1] in _NOT_NAMING and flag != "vn"))

    heads = [i.head for r in q.refs for i in model.items(model.doc[r])]

    def names_items(t: str) -> bool:  # 专栏4有哪些产业集群: what every item of the box is
        return bool(heads) and all(t in h for h in heads)

    return q.kind in ("list", "fact") and all(t in title or frames(t) or names_items(t) for t in q.terms)


def _only_names(q: Question, entities: tuple[Entity, ...]) -> bool:
    """True when every subject term of the question belongs to a named thing it mentions."""
    names = "".join(a for e in entities for a in (e.name, *e.aliases))
    return all(t in names or names in t for t in q.terms)


def _table_question(text: str, q: Question, model: PlanModel) -> bool:
    """About 专栏1 as a whole: a filter by attribute or category, or a comparison of rows."""
    lex = lexicon()
    categories = {r.category for r in model.doc.indicators}
    names_table = has_any(text, lex.indicator_table) or "指标" in text
    if names_table and (has_any(text, lex.attribute) or any(c in text for c in categories)):
        return has_any(text, lex.list) or "几个" in text or "多少个" in text or bool(_WHICH_ROWS.search(text))
    return False


_WHICH_ROWS = re.compile(r"哪[一两二三四五六七八九几]?[个项]")  # 哪个 / 哪两项 指标: a filter of the table
