"""What the plan talks about, built once per document: items, named things and their mentions.

Every sentence knows its location, its paragraph and the paragraph's lead (the item head of a
box item such as "（四）核工业装备产业集群。", or a paragraph's opening "健全养老服务体系。").
Named things are read from the plan itself: the 22 industrial clusters and their level from
专栏2, the cities, the names the plan puts in quotes (“书香辽宁”, “就来辽”) and the indicators of
专栏1, each with every sentence that mentions it.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from ..extractive import Extractor, Sentence
from ..normalize import match_key
from ..parse import ITEM_NUMBER_RE, Document, Location
from ..query import CITIES
from ..tokens import Tokenizer
from .lexicon import lexicon
from .normalize import SoundTables, Vocabulary
from .subjects import subject_runs
from .weights import GENERAL_SHARE, RARE_TERM

_CLUSTER = re.compile(r"\d+[.．]\s*([^；;。，]+?产业集群)")
_LEVEL = re.compile(r"^[（(][一二三四五六七八九十]+[）)]\s*(\S+级)$")
_QUOTED = re.compile(r"“([^”]{2,14})”")
_PERIOD = re.compile(r"十[一二三四五六七八九]五(?:时期|期间)?")  # 十四五, 十五五: a five-year plan's period
_DIGITS = re.compile(r"\d")
# a programme the plan launches by name: 实施县域主导产业培育行动, 实施医疗卫生强基工程
_PROGRAMME = re.compile(r"实施[^，。；、]{2,24}?(?:行动|工程|计划)")
_FIGURE = re.compile(r"\d[\d.]*\s*(?:%|[^\d\s，。；、．.%（）()“”])")  # a number with its unit
_INLINE_ITEM = re.compile(r"(?:^|[；;。：:]\s*)(\d+)[.．]\s*([^；;。]+)")
_INLINE_GROUP = re.compile(r"^[（(][一二三四五六七八九十]+[）)]\s*([^。；：:]{1,12})[。：:]\s*\d+[.．]")
_SUBJECT_RUN = 16  # characters: a longer run of subject words is a clause, not a name
_SUBHEADING = 16  # characters: a numbered line this short without a full stop heads a group
_CN_NUMBERED = re.compile(r"^\s*[（(][一二三四五六七八九十]+[）)]")


@dataclass(frozen=True)
class Entity:
    """A named thing of the plan and every sentence that mentions it."""

    name: str
    kind: str  # "cluster", "city", "county", "quoted", "indicator"
    aliases: tuple[str, ...]
    mentions: tuple[Sentence, ...]
    level: str | None = None  # a cluster's level in 专栏2: 世界级, 国家级, 区域级
    parent: str | None = None  # a county's city


@dataclass(frozen=True)
class Item:
    """A numbered item of a box or section: （一）… / 1. …; ``head`` is its lead, ``number`` 1-based."""

    location: str
    paragraph: int
    number: int
    head: str
    text: str
    group: str | None = None  # the sub-heading it is listed under ("世界级" in 专栏2)


class PlanModel:
    """The document with its sentences, items, named things and vocabulary."""

    def __init__(self, document: Document, extractor: Extractor, tokenizer: Tokenizer) -> None:
        self.doc = document
        self.extractor = extractor
        self.tokenizer = tokenizer
        self.sentences: list[Sentence] = [
            s for loc in document.locations for s in extractor.sentences[loc.id]
        ]
        self._specificity: dict[tuple[str, int, str], int] = {}  # the plan's sentences only: bounded
        self.entities: dict[str, Entity] = {}
        for entity in (*self._clusters(), *self._cities(), *self._counties(), *self._quoted()):
            self.entities.setdefault(entity.name, entity)
        # a quoted label used all over the plan ("十五五") names the plan's period, not a subject
        chapters = len(document.chapters)
        for name, e in list(self.entities.items()):
            if e.kind == "quoted" and len({m.location.chapter for m in e.mentions}) > chapters // 3:
                del self.entities[name]
        self._aliases = sorted(
            ((match_key(a), e) for e in self.entities.values() for a in (e.name, *e.aliases)),
            key=lambda pair: -len(pair[0]),
        )

    # ------------------------------------------------------------------ named things

    def _mentions(self, names: Iterable[str]) -> tuple[Sentence, ...]:
        """The sentences naming any of ``names``, in document order. One search of the whole plan
        per name (str.find over the sentences' keys joined), not one test per sentence: a few
        hundred named things are looked up at start-up."""
        found: set[int] = set()
        for key in {match_key(n) for n in names}:
            if not key:
                continue
            at = self._joined.find(key)
            while at >= 0:
                found.add(bisect.bisect_right(self._starts, at) - 1)
                at = self._joined.find(key, at + 1)
        return tuple(self.sentences[i] for i in sorted(found))

    @cached_property
    def _joined(self) -> str:
        return "\n".join(s.key for s in self.sentences)  # a key never holds a newline: no match spans two

    @cached_property
    def _starts(self) -> list[int]:
        starts, at = [], 0
        for s in self.sentences:
            starts.append(at)
            at += len(s.key) + 1
        return starts

    def _clusters(self) -> list[Entity]:
        box = self.doc.get("box2")
        if box is None:
            return []
        out: list[Entity] = []
        level = None
        for p in box.paragraphs:
            m = _LEVEL.match(p.text.strip())
            if m:
                level = m.group(1)
                continue
            for name in _CLUSTER.findall(p.text):
                name = name.strip()
                short = name.removesuffix("产业集群")
                aliases = (short + "集群", short + "产业", short)
                out.append(Entity(name, "cluster", aliases, self._mentions((name, short + "集群")), level))
        return out

    def _cities(self) -> list[Entity]:
        return [Entity(c, "city", (c + "市",), self._mentions((c,))) for c in CITIES]

    def _counties(self) -> list[Entity]:
        """The counties (县、县级市) of 专栏21's list, each with its city and its short name where
        the plan uses one (瓦房店 for 瓦房店市; not 抚顺 for 抚顺县, which is the city's name)."""
        cities = lexicon().counties
        out: list[Entity] = []
        for city, names in cities.items():
            for name in names.split():
                short = name[:-1]
                aliases = (short,) if len(short) >= 2 and short not in cities else ()
                mentions = self._place_mentions(name, aliases)
                out.append(Entity(name, "county", aliases, mentions, parent=city))
        return out

    def _place_mentions(self, name: str, aliases: tuple[str, ...]) -> tuple[Sentence, ...]:
        """Sentences naming a place, not inside a city's name (东港 in 丹东港 is the city's port)."""
        keys = [match_key(n) for n in (name, *aliases)]
        cities = [match_key(c) for c in lexicon().counties if not any(match_key(c) in k for k in keys)]
        out = []
        for s in self.sentences:
            key = s.key
            if not any(k in key for k in keys):
                continue
            for c in cities:
                key = key.replace(c, "\0")
            if any(k in key for k in keys):
                out.append(s)
        return tuple(out)

    def counties_of(self, city: str) -> list[Entity]:
        return [e for e in self.entities.values() if e.kind == "county" and e.parent == city]

    def _quoted(self) -> list[Entity]:
        # a quoted name of two characters is too often an ordinary word ("一起") to stand for a thing
        names = dict.fromkeys(
            n for loc in self.doc.locations for n in _QUOTED.findall(loc.text) if len(n) >= 3
        )
        return [Entity(n, "quoted", (), self._mentions((n,))) for n in names]

    @property
    def clusters(self) -> list[Entity]:
        return [e for e in self.entities.values() if e.kind == "cluster"]

    def find_entities(self, text: str) -> list[Entity]:
        """Named things in ``text``, longest names first, each stretch of text used once."""
        key = match_key(text)
        found: list[Entity] = []
        for alias, entity in self._aliases:
            if len(alias) >= 2 and alias in key and entity not in found:
                found.append(entity)
                key = key.replace(alias, "\0")
        return found

    def subject_of(self, question: str) -> str:
        """What a question is about, to stand in for a pronoun: a named thing, an indicator or its terms."""
        from ..query import REF_BOX, REF_SECTION, content_terms

        terms = content_terms(question, self.tokenizer)
        # words the plan writes in a large share of its places (水平, 提高) name nothing: "五年后计划
        # 提高到什么水平？" has no subject of its own and leans on the previous question
        places = REF_BOX.search(question) or REF_SECTION.search(question)  # 专栏24里有哪些工程: 专栏24
        if terms and not places and all(self.place_share(t) > GENERAL_SHARE for t in terms):
            terms = ()
        # a place the question names is what it is about (专栏16，具体讲的啥)
        return self.named_subject(question) or "".join(terms[:3]) or (places.group(0) if places else "")

    def place_share(self, term: str) -> float:
        """The share of the plan's places whose text has ``term``."""
        key = match_key(term)  # not cached: the terms are the users', unbounded
        return len({s.location.id for s in self.sentences if key in s.key}) / max(len(self.doc.locations), 1)

    def named_subject(self, question: str) -> str:
        """The named thing or the indicator a question asks about, as the question words it; empty
        when it names neither (its subject is then only words, and may be cut short)."""
        from ..query import content_terms

        terms = content_terms(question, self.tokenizer)
        # "十四五末…装机占比": a plan period says when, not what
        found = [e for e in self.find_entities(question) if not _PERIOD.fullmatch(e.name)]
        if found:
            # the question's own wording around it when longer: 金普新区 for the entity 金普,
            # 沈阳浑南科技城 (the run of subject words naming it) for the city 沈阳, 工业母机集群 (named
            # by its alias 工业母机) for 工业母机产业集群
            said = match_key(question)
            key = next((a for a, e in self._aliases if e is found[0] and len(a) >= 2 and a in said), "")
            run = next(
                ("".join(r) for r, _ in subject_runs(question, self) if key and key in match_key("".join(r))),
                "",
            )
            return (
                run
                if 0 < len(run) <= _SUBJECT_RUN
                else next((t for t in terms if found[0].name in t), found[0].name)
            )
        key = match_key(question)
        # the row as the question words it when it does (每千人口执业医师数), else its full name
        rows = [
            r.name if r.name in question else r.full_name
            for r in self.doc.indicators
            if match_key(r.name) in key
        ]
        if rows:  # all the rows it names: "森林覆盖率和优良水体比例…" then "哪个是约束性"
            named = [r for r in rows if not any(r != o and r in o for o in rows)]
            return "和".join(dict.fromkeys(named))
        return ""

    # ------------------------------------------------------------------ items and structure

    def items(self, location: Location) -> list[Item]:
        """The numbered items of a location, in order.

        An item is a paragraph opening with （一） or 1., or one of several items listed inline in
        one paragraph ("1. 甲；2. 乙。"). A short numbered paragraph followed by others
        ("（一）世界级") is the sub-heading of the items after it, not an item itself.
        """
        out: list[Item] = []
        group: str | None = None
        paragraphs = location.paragraphs
        for i, p in enumerate(paragraphs):
            text = p.text.strip()
            inline = list(_INLINE_ITEM.finditer(text))
            if len(inline) >= 2:
                heading = _INLINE_GROUP.match(text)  # "（一）铁路。1. …；2. …": the group heads its items
                group = heading.group(1) if heading else group
                for m in inline:
                    name = m.group(2).strip()
                    out.append(Item(location.id, i, len(out) + 1, name, name, group))
                continue
            if not ITEM_NUMBER_RE.match(text):
                continue
            if (
                len(text) <= _SUBHEADING
                and i + 1 < len(paragraphs)
                and (not text.endswith("。") or len(text) <= 10)
            ):
                group = re.sub(r"^[（(][一二三四五六七八九十]+[）)]\s*", "", text).rstrip("。")
                continue
            head = p.lead or re.split(r"[。；：:]", text, maxsplit=1)[0]
            if _CN_NUMBERED.match(text):
                # "（五）城市轨道交通。推进…" stands beside the groups "（四）机场。1. …", not in one
                group = None
            out.append(Item(location.id, i, len(out) + 1, head.strip(), p.text, group))
        return out

    def sections(self, chapter: int) -> list[Location]:
        return [loc for loc in self.doc.sections if loc.chapter == chapter]

    def boxes_in(self, chapter: int) -> list[Location]:
        return [b for b in self.doc.boxes if b.chapter == chapter]

    def intro(self, chapter: int) -> Location | None:
        return self.doc.get(f"ch{chapter}.s0")

    @cached_property
    def paragraph_keys(self) -> dict[tuple[str, int], str]:
        """Every paragraph's match key by (location, paragraph), computed once, not per question."""
        return {
            (loc.id, i): match_key(p.text) for loc in self.doc.locations for i, p in enumerate(loc.paragraphs)
        }

    @cached_property
    def _word_df(self) -> Counter[str]:
        """In how many sentences each word of the plan occurs (jieba's precise cut); built on first
        use (a quarter of a second), not at start-up."""
        df: Counter[str] = Counter()
        for s in self.sentences:
            df.update(set(self.tokenizer.words(s.text)))
        return df

    def specificity(self, s: Sentence) -> int:
        """How many specific things a sentence names: its words the plan uses in at most RARE_TERM
        sentences (牛河梁, 辽药六宝, 数据标注), its quoted names (“辽企出海”) and its figures. A
        sentence naming many is worth more of an answer's room than one of general wording."""
        key = (s.location.id, s.paragraph_index, s.text)
        found = self._specificity.get(key)
        if found is None:
            found = self._specificity[key] = self._count_specific(s)
        return found

    def _count_specific(self, s: Sentence) -> int:
        """Counted once per sentence of the plan."""
        rare = sum(
            1
            for w in set(self.tokenizer.words(s.text))
            if len(w) >= 2 and not _DIGITS.search(w) and self._word_df[w] <= RARE_TERM
        )
        named = len(_QUOTED.findall(s.text)) + len(_PROGRAMME.findall(s.text)) + len(_FIGURE.findall(s.text))
        return rare + 2 * named

    @cached_property
    def plan_key(self) -> str:
        """The whole plan as one match key, to ask whether it uses a word at all."""
        return match_key(self.doc.text)

    @cached_property
    def plan_plain_key(self) -> str:
        """The plan's match key without quotation marks, for a name asked with or without them."""
        return re.sub(r"[“”\"‘’「」《》\s]", "", self.plan_key)

    @cached_property
    def chapter_count(self) -> int:
        return len(self.doc.chapters)


def build_vocabulary(document: Document, tokenizer: Tokenizer, tables: SoundTables) -> Vocabulary:
    """Typo correction against the plan's words: ``tables`` are the plan's words (jieba over the plan
    with its own terms) by sound, computed when the index is built (:func:`assistant.index.plan_words`)."""
    return Vocabulary.from_tables(match_key(document.text), tables, tokenizer.is_word, tokenizer.words)
