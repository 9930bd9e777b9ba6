"""A follow-up turned into a standalone question, from the conversation alone (offline).

What a follow-up leans on, and how it is resolved:

- the place the previous answer cited (or the previous question named): 这一章 / 本节 /
  这个专栏 / 表里 become that chapter, section or box; 下一章 / 上一节 move from it; a bare
  第三节 is read inside its chapter; 第二项 is the second item of the box or list in focus;
- the previous answer's list: 刚才说的第三个 is its third item, by name;
- the previous question's frame: 那2030年呢？ re-asks it for another year, 沈阳呢？ for another
  city, and a short question without its own subject borrows the previous question's subject.

Nothing here can fail on a conversation: an ordinal or a place that does not resolve leaves the
question as it is (and the answer then says what the plan does or does not have).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..answers import Turn
from ..normalize import int_to_cn
from ..parse import Document, Location, strip_item_number
from ..query import CITIES, YEAR, location_refs
from .lexicon import has_any, lexicon
from .model import Item
from .normalize import parse_numeral

_CHAPTER_HERE = re.compile(r"(这一章|这章|本章|该章|此章|这个章节)")
_SECTION_HERE = re.compile(r"(这一节|这节|本节|该节|此节|这个小节)")
_BOX_HERE = re.compile(r"(这个专栏|该专栏|本专栏|此专栏|这一专栏|这张表|这个表|表里|表中|该表)")
_NEXT = re.compile(
    r"(?:紧挨着的?|紧接着的?)?(下一|上一|前一|(?<!最)后一|后面|前面|下个|上个)"
    r"(?:紧挨着|紧接着)?[的那]*一?"  # 前面紧挨着的那章, 后面那个专栏
    r"(个专栏|章|节|专栏|项|条|个)"  # 个: the next of whatever the items are (县, 集群, 方向…)
)
_LAST_PLACE = re.compile(r"(最后一)(章|节)")
_BOX_OF_SECTION = re.compile(
    r"(第[一二三四五六七八九十]+章第[一二三四五六七八九十]+节)(?:有|的)?(?:对应|后面|之后|配套|附带|相关|配)的?(?:那个)?专栏"
)
_WHERE_IS = re.compile(r"(在|属于|位于)(哪|第几)")
_FROM_END = re.compile(r"倒数第([一二三四五六七八九十\d]+)(?:个|项|条)?")
_BARE_SECTION = re.compile(r"(?<![章])第([一二三四五六七八九十\d]+)节")
_ITEM = re.compile(
    r"(?:排|排在|位列)?第([一二三四五六七八九十\d]+)(?:的那?|那)?(项|条|个|点|类|大类|方面|位)"
)
_CN_LIST = re.compile(r"[（(]([一二三四五六七八九十]+)[）)]\s*([^；;。\n（(]+)")
_COLON_LIST = re.compile(r"[：:]\s*([^：:。；;\n（(]+、[^：:。；;\n（(]+)")
_LIST_LINE = re.compile(r"(?:^|[\s；;，,：:])(\d+)[.．、]\s*([^；;\n。]+)")
_PRONOUN = re.compile(r"^(那么?|那|还有|另外|再问|此外|它|其|这|该|同一)")
_TRAILING = re.compile(r"(呢|吗)?[？?。！!]*$")
_PRONOUN_INSIDE = re.compile(
    r"它们的|它们|它的|它|其|这个指标|该指标|这一指标|这项指标|这个集群|该集群|这一项|这项|该项|这个|这些|此项"
)
_SEVERAL = re.compile(r"(前|最后|后)([两二三四五六七八九\d])(?:个|项|条)的?")
_PLACE = re.compile(r"第[一二三四五六七八九十\d]+[章节]|专栏\s*\d+")
_NAME = 16  # characters: a longer piece of a 、-separated sentence is a clause, not a listed name
_BACKREF = re.compile(r"(刚才|上面|前面|之前|上述|你说的|提到的|说的)")


_LEANS = "（接上问："  # a follow-up's own words, then the previous question it leans on
_FRAME = re.compile(re.escape(_LEANS) + r"[^）]*）")
_FRAMED = re.compile(r"(.*?)" + re.escape(_LEANS) + r"(.*)）")
# "这两个" / "这三项": as many things as the conversation asked about, one question each
_COUNTED_BACK = re.compile(r"这([两二三四五六七八九])(?:个|项|条|类)")
# "它们里面石化那个" / "仪器仪表那个呢": an item named by a word of it, then 那个
_PICKED = re.compile(
    r"(?:它们|这些|其中|上面)?(?:里面|里头|当中|中间|之中)?的?([\u4e00-\u9fffA-Za-z]{2,8}?)的?那一?(?:个|项|条|类)"
)


_NTH_BOX = re.compile(r"第\s*([一二三四五六七八九十\d]+)\s*个\s*专栏")


def listed_box(question: str, history: Sequence[Turn]) -> str:
    """ "第三个专栏" after an answer listing boxes (专栏14…、专栏15…、专栏16…) is the third listed, not
    专栏3; without such a list it stays for the normaliser to read as 专栏3."""
    m = _NTH_BOX.search(question)
    if m is None:
        return question
    n = parse_numeral(m.group(1)) or 0
    for turn in reversed(history):
        if turn.role != "assistant":
            continue
        listed = list(dict.fromkeys(re.findall(r"专栏\s*(\d+)", turn.content)))
        if len(listed) >= 2:
            if not 0 < n <= len(listed):
                return question
            # named now, it is a question of its own: "第三个专栏呢，讲的啥" → "专栏16，讲的啥"
            return re.sub(rf"{re.escape(m.group(0))}(?:呢)?", f"专栏{listed[n - 1]}", question, count=1)
    return question


def own_words(query: str) -> str:
    """A rewritten follow-up without the previous question it leans on ("机场（接上问：…铁路…）" → 机场)."""
    return _FRAME.sub("", query)


def leans_on_frame(query: str) -> bool:
    """The query is a follow-up's own words leaning on the previous question's frame."""
    return _LEANS in query


@dataclass(frozen=True)
class Resolved:
    query: str  # the standalone question to search and answer
    focus: tuple[str, ...]  # locations the conversation is about
    is_followup: bool
    core: str = ""  # the follow-up's own words, when the query borrows a frame
    frame: str = ""  # the previous question lending its frame
    item: tuple[str, int] | None = None  # (location, paragraph) of an item pointed at


def _previous(history: Sequence[Turn]) -> tuple[str | None, str | None]:
    last_user = next((t.content for t in reversed(history) if t.role == "user"), None)
    last_answer = next((t.content for t in reversed(history) if t.role == "assistant"), None)
    return last_user, last_answer


def looks_like_followup(question: str) -> bool:
    core = _TRAILING.sub("", question)
    return bool(
        _PRONOUN.match(question)
        or _CHAPTER_HERE.search(question)
        or _SECTION_HERE.search(question)
        or _BOX_HERE.search(question)
        or _NEXT.search(question)
        or _LAST_PLACE.search(question)
        or _FROM_END.search(question)
        or _BACKREF.search(question)
        or _ordinal(question) is not None
        or (_BARE_SECTION.search(question) and not re.search(r"第[一二三四五六七八九十\d]+章", question))
        or _SEVERAL.search(question) is not None
        or re.search(r"它|其中|这一项|该项|这项|这个", question)
        or question.rstrip("？?").endswith("呢")
        or len(core) <= 6
    )


def chapter_name(n: int) -> str:
    return f"第{int_to_cn(n)}章"


def place_name(loc: Location) -> str:
    """第X章第Y节 / 专栏N / 第X章 — the form :func:`location_refs` reads back."""
    if loc.kind == "box":
        return f"专栏{loc.number}"
    if loc.kind == "section":
        return f"第{int_to_cn(loc.chapter)}章第{int_to_cn(loc.number)}节"
    if loc.kind == "intro":
        return chapter_name(loc.chapter)
    return "序言"


def _section_of(loc: Location, doc: Document) -> Location | None:
    if loc.kind == "section":
        return loc
    if loc.kind == "box" and loc.parent:
        return doc.get(loc.parent)
    return None


def _move(loc: Location, step: int, unit: str, doc: Document) -> str | None:
    if unit == "章" and loc.chapter:
        return chapter_name(max(1, loc.chapter + step))
    if unit == "节":
        section = _section_of(loc, doc)
        if section is None and loc.kind == "intro" and step > 0 and doc.get(f"ch{loc.chapter}.s1"):
            return f"第{int_to_cn(loc.chapter)}章第一节"  # after a chapter's outline: its first section
        if section is not None and section.number + step >= 1:
            return f"第{int_to_cn(section.chapter)}章第{int_to_cn(section.number + step)}节"
        return None
    if loc.kind == "box" and loc.number + step >= 1:
        return f"专栏{loc.number + step}"
    return None


def list_items(answer: str) -> list[str]:
    """The items of a previous answer's list: "1. …" lines, "（一）…；（二）…", or "A、B、C" after a colon."""
    for pattern, number in ((_LIST_LINE, int), (_CN_LIST, parse_numeral)):
        items: dict[int, str] = {}
        for m in pattern.finditer(answer):
            n = number(m.group(1))
            if n == len(items) + 1:
                items[n] = re.sub(r"^【[^】]*】", "", m.group(2)).strip(" ：:“”「」")
        if len(items) >= 2:
            return [items[n] for n in sorted(items)]
    colon = _COLON_LIST.search(answer)
    if colon:
        listed = [x.strip(" “”「」") for x in re.split(r"[、，,]", colon.group(1)) if x.strip()]
        if len(listed) >= 2:
            return listed
    return _plain_list(answer)


def _plain_list(answer: str) -> list[str]:
    """An answer that opens with a list of names and nothing else: "安全保障、产业发展、科技创新。[box12]"."""
    first = re.split(r"[。；;\n]", re.sub(r"\[[^\]]*\]|[（(][^）)]*[）)]", "", answer), maxsplit=1)[0]
    listed = [x.strip(" “”「」") for x in first.split("、")]
    # "…、优质特色消费品等4个万亿级产业基地": the enumeration ends at 等
    listed[-1] = re.sub(r"等[\d一二三四五六七八九十]+[个项类条种大].*$", "", listed[-1]) or listed[-1]
    if any(c in listed[0] for c in "：:"):
        return []  # "民生福祉：围绕…、…": one labelled item's words, not a list of names
    if len(listed) >= 3 and all(0 < len(x) <= _NAME for x in listed):
        return listed
    return []


def _ordinal(question: str) -> int | None:
    """The ordinal pointing at an item (第三个, 第二项; 倒数第二个 is -2), not one naming a
    place (第三节, 第十六章)."""
    question = _PLACE.sub(" ", question)
    back = _FROM_END.search(question)
    if back:
        n = parse_numeral(back.group(1))
        return -n if n else None
    m = _ITEM.search(question)
    if m:
        return parse_numeral(m.group(1))
    for word, n in lexicon().ordinals.items():
        if word in question:
            return n
    return None


def resolve(
    question: str,
    history: Sequence[Turn],
    doc: Document,
    items_of: Callable[[Location], Sequence[Item]] | None = None,
    subject_of: Callable[[str], str] | None = None,
    named_subject: Callable[[str], str] | None = None,
) -> Resolved:
    """The standalone question for ``question`` in the conversation ``history``.

    ``items_of`` gives the numbered items of a location (for 第二项), ``subject_of`` the subject
    of a question (for 它 / 其 / 这个指标), ``named_subject`` the named thing or indicator a
    question asks about, when it names one (for 航空航天呢？, 注册护士呢？).
    """
    prev_q, prev_a = _previous(history)
    # a question without a subject of its own ("五年后计划提高到多少？") asks about the one before
    subjectless = subject_of is not None and not subject_of(question)
    if not (prev_q or prev_a) or not (looks_like_followup(question) or subjectless):
        return Resolved(box_of_section(last_places(question, doc), doc), (), False)
    prev_q = unframed(prev_q or "", named_subject)
    focus = tuple(location_refs(prev_a or "", doc)) or tuple(location_refs(prev_q, doc))
    here = doc.get(focus[0]) if focus else None
    query = question

    # places relative to the one in focus
    if here is not None:
        m = _NEXT.search(query)
        if m:
            step = 1 if m.group(1).startswith(("下", "后")) else -1
            if not m.group(2).endswith(("章", "节", "专栏")):
                # 这个专栏的下一项: the item after the one the previous answer was about
                moved_item = _next_item(here, step, prev_a or "", items_of)
                if moved_item is not None:
                    return Resolved(
                        f"{place_name(here)}{moved_item.head}",
                        focus,
                        True,
                        item=(moved_item.location, moved_item.paragraph),
                    )
            else:
                start = here
                if m.group(2).endswith("专栏") and here.kind != "box":
                    # "下一个专栏" after an answer citing 第十三章第一节 and 专栏25 moves from the box
                    start = next((b for f in focus if (b := doc.get(f)) and b.kind == "box"), here)
                moved = _move(start, step, m.group(2)[-1], doc)
                if moved:
                    query = query.replace(m.group(0), moved, 1)
        m = _LAST_PLACE.search(query)
        if m and here.chapter and not re.search(r"第[一二三四五六七八九十]+章", query):
            sections = [loc for loc in doc.sections if loc.chapter == here.chapter]
            if m.group(2) == "节" and sections:
                query = query.replace(m.group(0), place_name(sections[-1]), 1)
            elif m.group(2) == "章":
                query = query.replace(m.group(0), chapter_name(max(loc.chapter for loc in doc.sections)), 1)
        if _BOX_HERE.search(query) and (here.kind == "box" or "表" in query):
            box = here if here.kind == "box" else doc.get("box1")
            if box is not None:
                query = _BOX_HERE.sub(f"专栏{box.number}", query, count=1)
        if here.kind in ("box", "section") and _WHERE_IS.search(query):
            # "它在哪一章哪一节？" after 专栏32: the place in focus is what is asked about
            query = re.sub(r"它|该专栏|这个专栏", place_name(here), query, count=1)
        section = _section_of(here, doc)
        if _SECTION_HERE.search(query):
            query = _SECTION_HERE.sub(
                place_name(section) if section else chapter_name(here.chapter), query, count=1
            )
        if _CHAPTER_HERE.search(query) and here.chapter:
            query = _CHAPTER_HERE.sub(chapter_name(here.chapter), query, count=1)
        m = _BARE_SECTION.search(query)
        if m and here.chapter and not re.search(r"第[一二三四五六七八九十]+章", query):
            n = parse_numeral(m.group(1))
            if n:
                query = query.replace(m.group(0), f"第{int_to_cn(here.chapter)}章第{int_to_cn(n)}节", 1)

    # several items pointed at: 前两个 / 最后两个 of the previous answer's list
    m = _SEVERAL.search(_PLACE.sub(" ", query))
    named = list_items(prev_a or "")
    if m and named:
        count = parse_numeral(m.group(2)) or 0
        picked = named[:count] if m.group(1) == "前" else named[-count:] if count else []
        if 1 < len(picked) <= len(named):
            rest = _strip_pointer(query.replace(m.group(0), ""))
            return Resolved("和".join(picked) + (rest or "分别是什么"), focus, True)

    # an item pointed at: of the previous answer's list, or of the box in focus
    n = _ordinal(query) if not _BARE_SECTION.search(question) else None
    if n is not None:
        named = list_items(prev_a or "")
        listed_here = items_of(here) if here is not None and items_of is not None else []
        if not _strong_list(prev_a or "") and any(
            i.head and strip_item_number(i.head) in (prev_a or "") for i in listed_here
        ):
            # the previous answer quoted one item of the box in focus ("民生福祉：…（专栏12（五））"):
            # "最后一个方向" counts the box's items, not the words listed inside that one item
            named = []
        if named and 0 < abs(n) <= len(named):
            item = named[n - 1] if n > 0 else named[n]
            core = _strip_pointer(query)
            pointer = None
            if here is not None and items_of is not None and _asks_content(core):
                # "第四项具体说了什么": the item itself, when the place in focus lists it
                pointer = next(((i.location, i.paragraph) for i in items_of(here) if item in i.head), None)
            return Resolved(f"{item}{core}" if core else f"{item}是什么", focus, True, item=pointer)
        if (
            here is not None
            and items_of is not None
            and (query != question or _BACKREF.search(question) is None)
        ):
            items = items_of(here)
            if items and 0 < abs(n) <= len(items):
                it = items[n - 1] if n > 0 else items[n]
                return Resolved(f"{place_name(here)}{it.head}", focus, True, item=(it.location, it.paragraph))

    query = box_of_section(query, doc)
    if query != question:
        return Resolved(query, focus, True)

    by_name = _pick_by_name(query, list_items(prev_a or ""))
    if by_name is not None:
        return Resolved(by_name, focus, True)
    query = re.sub(r"(?<=[\u4e00-\u9fff]{2})那一?个(?=呢|[？?]|$)", "", query)  # 仪器仪表那个呢 → 仪器仪表呢
    m = _COUNTED_BACK.search(query)
    if m and subject_of is not None:
        # "这两个2030年分别要到多少" after asking about 执业医师 and then 注册护士: both of them
        n = parse_numeral(m.group(1)) or 0
        asked = asked_subjects(history, subject_of)
        if 1 < n <= len(asked):
            return Resolved(query.replace(m.group(0), "和".join(asked[-n:]), 1), focus, True)
    question = query

    core = _PRONOUN.sub("", _TRAILING.sub("", question)).strip("，, ")
    # 那2030年呢？ → the previous question with the year replaced
    new_years = YEAR.findall(core)
    if new_years and YEAR.search(prev_q) and len(YEAR.sub("", core)) <= 4:
        return Resolved(YEAR.sub(f"{new_years[0]}年", prev_q, count=1), focus, True)
    # 沈阳呢？ → the previous question about another place
    new_places = [c for c in _PLACES if c in core]
    old_places = [c for c in _PLACES if c in prev_q]
    if new_places and old_places and len(core) <= len(new_places[0]) + 4:
        return Resolved(prev_q.replace(old_places[0], new_places[0]), focus, True)
    if not prev_q:
        return Resolved(question, focus, True)
    # 它是约束性的吗？ → the pronoun stands for the previous question's subject
    m = _PRONOUN_INSIDE.search(question)
    if m and subject_of is not None:
        subject = subject_of(prev_q)
        if subject:
            return Resolved(question[: m.start()] + subject + question[m.end() :], focus, True)
    frame = _TRAILING.sub("", prev_q)
    if not core:
        return Resolved(prev_q, focus, True)
    if subjectless and subject_of is not None and (subject := subject_of(frame)):
        # "五年后计划提高到什么水平？" after 常住人口城镇化率现在是多少: asked of that subject
        return Resolved(f"{subject}{core}", focus, True)
    if named_subject is not None and _names_only(core):
        # "航空航天那个呢？" after a cluster's 2030 target: the same question about it
        subject = named_subject(frame)
        if subject and subject in frame and core not in subject and subject not in core:
            return Resolved(_substituted(frame, subject, core), focus, True)
    return Resolved(f"{core}{_LEANS}{frame}）", focus, True, core, frame)


def unframed(query: str, subject_of: Callable[[str], str] | None) -> str:
    """A follow-up written as its own words leaning on a frame, made one question again: the frame's
    subject replaced by the follow-up's words ("注册护士（接上问：每千人口执业医师数现在是多少）" →
    "注册护士现在是多少"), so that the next follow-up leans on one question, not on nested frames."""
    m = _FRAMED.fullmatch(query)
    if m is None or subject_of is None:
        return query
    core, frame = m.group(1), unframed(m.group(2), subject_of)
    subject = subject_of(frame)
    return _substituted(frame, subject, core) if subject and subject in frame else query


def _substituted(question: str, subject: str, words: str) -> str:
    """``question`` asked of ``words`` instead of ``subject``: its quotes go with it (“专精特新”),
    and a head noun the new words already end with is not said twice (…高成长企业, not 企业企业)."""
    start = question.find(subject)
    end = start + len(subject)
    if question[start - 1 : start] == "“" and question[end : end + 1] == "”":
        start, end = start - 1, end + 1
    after = question[end : end + 2]
    if len(after) == 2 and words.endswith(after):
        end += 2
    return question[:start] + words + question[end:]


def asked_subjects(history: Sequence[Turn], subject_of: Callable[[str], str]) -> list[str]:
    """What each question of the conversation asked about, oldest first, each once."""
    out: list[str] = []
    for turn in history:
        if turn.role != "user":
            continue
        m = _FRAMED.fullmatch(turn.content)
        subject = _TRAILING.sub("", _PRONOUN.sub("", m.group(1))) if m else subject_of(turn.content)
        if subject and subject not in out:
            out.append(subject)
    return out


def _names_only(core: str) -> bool:
    """The follow-up's own words name a thing and ask nothing of it (航空航天, 湿地保护率)."""
    lex = lexicon()
    asking = (*lex.figure, *lex.list, *lex.when, *lex.about, *lex.outline, *lex.overview, *lex.where)
    return len(core) <= _NAME and not has_any(core, (*asking, *lex.count, *lex.attribute, *lex.targets))


def _pick_by_name(query: str, named: Sequence[str]) -> str | None:
    """ "它们里面石化那个…" over the list 先进装备制造、石化和精细化工、…: the one item the word names."""
    m = _PICKED.search(query)
    if m is None or not named:
        return None
    word = m.group(1)
    for start in range(len(word) - 1):  # the words before the name may have been caught with it
        hits = [x for x in named if word[start:] in x]
        if len(hits) == 1:
            return query.replace(m.group(0), hits[0], 1)
        if hits:
            return None
    return None


def _place_names() -> tuple[str, ...]:
    """Cities and counties, with the counties' short names (瓦房店市, 瓦房店), longest first."""
    names = set(CITIES)
    for counties in lexicon().counties.values():
        for county in counties.split():
            names.add(county)
            if len(county) > 2:
                names.add(county[:-1])
    return tuple(sorted(names, key=len, reverse=True))


_PLACES = _place_names()


def _strong_list(answer: str) -> bool:
    """The answer lists numbered items ("1. …", "（一）…；（二）…") or opens with a list of names, not
    just words after a colon."""
    return any(len(list(p.finditer(answer))) >= 2 for p in (_LIST_LINE, _CN_LIST)) or bool(
        _plain_list(answer)
    )


def _next_item(
    here: Location, step: int, answer: str, items_of: Callable[[Location], Sequence[Item]] | None
) -> Item | None:
    """The item ``step`` after the one of ``here`` that ``answer`` was about (named by its head)."""
    if items_of is None:
        return None
    items = list(items_of(here))
    current = [
        n for n, i in enumerate(items) if strip_item_number(i.head) and strip_item_number(i.head) in answer
    ]
    if len(current) != 1:
        return None
    n = current[0] + step
    return items[n] if 0 <= n < len(items) else None


_AFTER, _BEFORE = r"(?:后面|后边|之后|以后|后|下)", r"(?:前面|前边|之前|以前|前|上)"
_NEIGHBOUR = re.compile(
    rf"(第([一二三四五六七八九十\d]+)章(?:的?第([一二三四五六七八九十\d]+)节)?|专栏\s*(\d+))"
    rf"的?({_AFTER}|{_BEFORE})(?:的|那|这)?一?个?(章|节|专栏)"
)


def last_places(query: str, doc: Document) -> str:
    """Places named by their position, named as the plan numbers them (the structure answers, not
    the words): "最后一章" → the last chapter, "第X章的最后一节" → that chapter's last section,
    "最后一节" → the plan's last, and "第九章后面那一章" / "专栏5的上一个专栏" → the neighbour."""
    chapters = sorted({loc.chapter for loc in doc.sections if loc.chapter})
    if not chapters:
        return query
    query = re.sub(r"(?:规划的?)?最后一章", chapter_name(chapters[-1]), query)
    m = re.search(r"第([一二三四五六七八九十]+)章的?最后一节", query)
    if m:
        n = parse_numeral(m.group(1))
        sections = [loc for loc in doc.sections if loc.chapter == n]
        if sections:
            query = query.replace(m.group(0), place_name(sections[-1]), 1)
    if doc.sections:
        query = re.sub(r"(?<![章的])(?:规划的?)?最后一节", place_name(doc.sections[-1]), query)
    # "第十九章第三节和第四节": the later sections are in the same chapter
    query = re.sub(
        r"(第[一二三四五六七八九十\d]+章)(第[一二三四五六七八九十\d]+节(?:(?:和|与|及|、)第[一二三四五六七八九十\d]+节)+)",
        lambda m: m.group(1) + re.sub(r"(?<=[和与及、])第", m.group(1) + "第", m.group(2)),
        query,
    )
    m = _NEIGHBOUR.search(query)
    if m:
        neighbour = _neighbour(m, doc)
        if neighbour:
            query = query.replace(m.group(0), neighbour, 1)
    return query


def _neighbour(m: re.Match[str], doc: Document) -> str | None:
    """The chapter, section or box next to the one ``m`` names, in the direction it says."""
    step = 1 if re.fullmatch(_AFTER, m.group(5)) else -1
    unit = m.group(6)
    if m.group(4) and unit == "专栏":
        n = int(m.group(4)) + step
        return f"专栏{n}" if n >= 1 else None  # 专栏40 when there is none: said to be missing
    chapter = parse_numeral(m.group(2) or "")
    if chapter is None:
        return None
    if unit == "章" and not m.group(3):
        n = chapter + step
        return chapter_name(n) if n >= 1 else None
    section = parse_numeral(m.group(3) or "")
    if unit == "节" and section is not None:
        n = section + step
        return f"第{int_to_cn(chapter)}章第{int_to_cn(n)}节" if n >= 1 else None
    return None


def box_of_section(query: str, doc: Document) -> str:
    """ "第十六章第四节对应的专栏" → "专栏33", when that section has exactly one box after it."""
    m = _BOX_OF_SECTION.search(query)
    if not m:
        return query
    section = next((loc for loc in doc.sections if place_name(loc) == m.group(1)), None)
    boxes = doc.boxes_of(section.id) if section is not None else ()
    return query.replace(m.group(0), f"专栏{boxes[0].number}", 1) if len(boxes) == 1 else query


def _asks_content(core: str) -> bool:
    """The rest of the follow-up only asks what the item says (具体说了什么, 是什么, 包括啥)."""
    rest = re.sub(r"具体|内容|主要|都|一下|请|讲讲|说说|[的呀啊]$", "", core)
    return not rest or bool(
        re.fullmatch(r"(说了|讲了|是|有|包括|指|是干|干|是做|做)?(什么|啥|哪些)(内容)?", rest)
    )


def _strip_pointer(question: str) -> str:
    """The follow-up without its pointer words (刚才说的第三个 → what is asked of it)."""
    text = _BACKREF.sub("", question)
    text = _FROM_END.sub("", text)
    text = _ITEM.sub("", text)
    for word in lexicon().ordinals:
        text = text.replace(word, "")
    text = re.sub(r"^[的个，,：:\s]+", "", text)
    return _TRAILING.sub("", text).strip("，, ")
