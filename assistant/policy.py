"""Enterprise policy matching: which clauses of the plan concern this company?

A profile (industry, city, traits, free description) is matched sentence by sentence against the
whole plan. A clause qualifies when it shares the company's industry or business terms (or is
very close to the description in meaning, or answers one of the description's statements searched
like a question); naming the company's city or one of its traits adds to its rank. The plan's
structure is read, not word lists: the company's cluster (named, or nearest by its words and by
meaning) owns its 专栏3/4/5 item and its paragraph in chapter 2; 专栏19/21 items belong to their
city or county, and an item of another cluster or place ranks low; a type of firm is shown where
the plan writes about it. Every clause is a verbatim sentence with its location and the terms it
shares, so the report claims nothing the plan does not say. Targets of the company's 专栏 cluster
(营收规模 etc.) are pulled out separately.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Protocol, TypeVar

from .answering.lexicon import lexicon
from .errors import InputError
from .extractive import Dense, Extractor, Sentence
from .feedback import spreadsheet_safe
from .normalize import int_to_cn, match_key
from .parse import Document, Location
from .query import PREFECTURES, content_terms
from .tokens import Tokenizer, prepare

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .answering.model import PlanModel
    from .retrieve import Hit

_K = TypeVar("_K")
_Sims = dict[tuple[str, int, int], float]  # (location, paragraph, n-th sentence) → similarity

CITIES = PREFECTURES  # a profile names one of the 14 cities
# Data: the words that name each type of firm in the plan. A paragraph whose lead, or a box whose
# title, uses one is about that type of firm (专栏13 助力民营企业发展行动, 提升国资国企竞争力。);
# a sentence that uses one speaks to it.
TRAITS: dict[str, tuple[str, ...]] = {
    "民营": ("民营", "民间投资", "非公"),
    "专精特新": ("专精特新", "小巨人", "单项冠军"),
    "高新技术": ("高新技术企业", "高企"),  # not 科技型: 科技型中小企业 is a register of its own (专栏8)
    "外贸": ("外贸", "出口", "跨境", "进出口"),
    "中小企业": ("中小企业", "中小微"),
    "小微": ("小微", "个体工商户"),
    "国有": ("国有企业", "国企", "国资"),
    "外资": ("外资", "外商"),
    "农业经营主体": ("新型农业经营主体", "合作社", "家庭农场"),
    "央企": ("中央企业", "央企"),
    "龙头企业": ("龙头企业", "链主"),
    "创业企业": ("创业", "初创", "孵化"),
    "高成长": ("高成长", "瞪羚", "独角兽"),
}
# Data: firms of another type whose name holds a type's word: 科技型中小企业 is a register of its
# own (专栏8 壮大科技型企业群体), not every small or medium firm.
NOT_THE_TYPE: dict[str, tuple[str, ...]] = {"中小企业": ("科技型中小企业",)}


def resolve_trait(name: str) -> str | None:
    """The type of firm a name means: a type (民营), one of its words (出口 → 外贸, 国企 → 国有), or
    either with 企业 (小微企业, 外商投资企业); None for an unknown one."""
    name = name.strip()
    if name in TRAITS:
        return name
    short = name.removesuffix("企业")
    for trait, words in TRAITS.items():
        if short == trait or short in words or any(w in name for w in (trait, *words)):
            return trait
    return None


# Data: the words that name firms in general. A section or paragraph whose title or lead uses one
# is about firms (强化企业科技创新主体地位, 充分激发各类经营主体活力): a type of firm it names in
# passing is among those it is for, unlike one named in passing elsewhere (公建民营 in child care).
FIRMS = ("企业", "经营主体")

# Data: words of the titles of the parts that review the last plan, read the outlook or set the
# plan's principles and aims (第一章: 发展基础, 面临形势, 指导思想, 基本要求, 发展目标, 专栏1 主要指标表):
# they hold no measure for a company, and 科技型中小企业数量…超4.6万家 is no policy for an SME.
NOT_MEASURES = ("发展基础", "面临形势", "指导思想", "基本要求", "发展目标", "主要指标")
_HEADING = re.compile(r"^[（(]?[一二三四五六七八九十\d]+[)）.．、]\s*[^，。；]{0,24}[。；]?$")
_ITEM_MARK = re.compile(r"^\s*(?:[（(]\s*([一二三四五六七八九十]+)\s*[）)]|(\d+)\s*[.．、])\s*")
TARGETS_HEADING = "所属产业的目标"

# A word of the profile the plan uses in more sentences than this is generic (装备 88, 特色 90,
# 加工 71, 企业 158 of 2,465): it never makes a match.
DF_GENERIC = 55
# A word in at most this many sentences is specific to the few places that use it (液流电池,
# 佟二堡, 大石桥); other words count in a sentence only when the sentence is also closer in
# meaning to the company than the plan's median sentence (控制 in 合理控制开发强度 is not about a
# chip designer).
DF_RARE = 3
DF_COMMON = (
    20  # a word of a free-text industry in more sentences than this counts like a cluster's single word
)
SINGLE_DF = 5  # a single character counts in at most this many sentences…
SINGLE_FREQ = 2000  # …and when jieba's dictionary counts it at most this often (硼 263, 锌 1652; 这 261791)
# A term inside a longer word that jieba's dictionary counts at least this often is part of that
# word, not used on its own (重金属 112, 客户端 42, 创新型 83; compounds such as 钢铁企业 count 3)
WORD_FREQ = 20
WORD_REACH = 3  # characters a longer word may reach either side of the term
MEANING_GATE = -0.2  # calibrated similarity: the median sentence is 0, this query's best 1
GATED_GATE = 0.0
TERM_MEANING = 0.15  # cosine of a common word and the company's text for the word to count
FOCUS_MIN = 0.4  # calibrated: a cluster's word whose sentences are on average less close is diffuse
MEANING_ALONE = 0.65  # a sentence this close in meaning qualifies without sharing a word
CLUSTER_ITEM = 3.0  # a sentence of the company's cluster's own item (专栏3/专栏4)
CITY_BONUS = 2.5
CITY_GATE = 0.4  # its city's or county's item shares no word with it: it must be this close in meaning
NAMED_ITEM = 4  # characters: a heading this long the company writes names its own item
ELSEWHERE = 0.7  # a clause assigning its measure to other places ranks at this share of its score
OTHER_ITEM = 0.5  # the item of a cluster or place not the company's ranks at this share of its score
TRAIT_BONUS = 1.0
TRAIT_FOCUS = 2  # a location naming a type of firm in this many sentences is partly about it
TRAIT_PASSING = 0.5  # the weight of a passing mention (a paragraph about the type weighs 2)
MEANING_WEIGHT = 2.5
ASPECT_MIN = 4  # characters: a statement of the description this long is searched on its own…
ASPECT_K = 3  # …for this many places
ASPECT_BONUS = 1.0
PARAGRAPH_SHARE = 1.0  # a sentence is as close as its paragraph, at least
CLUSTER_MARGIN = 0.08  # a cluster found by meaning alone must lead the next one by this much
MAX_CLUSTERS = 2
PER_LOCATION = 2
REPEAT_DISCOUNT = 1.0  # a second clause from a shown location ranks as its score times this
TRAIT_WHOLE = ("box", "section")  # a location of these kinds named after a type of firm is all about it
TRAIT_SLOTS = 2  # at most this many places shown for each of the company's types of firm
TRAIT_SHARE = 0.4  # at most this share of a report is kept for the company's types of firm


@dataclass(frozen=True)
class Profile:
    industry: str = ""
    city: str = ""
    traits: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Clause:
    location: str
    title: str
    quote: str  # one sentence of the plan, verbatim
    score: float
    reasons: tuple[str, ...]  # why it matched, e.g. ("行业:船舶", "城市:大连"), or "语义:相近"
    paragraph: int = -1  # index in the location's paragraphs (a sentence may recur within a box)
    item: str = ""  # the item or paragraph it belongs to: （四）核工业装备产业集群, 做强核能产业

    @property
    def text(self) -> str:
        """The quote named by its item: 「（四）核工业装备产业集群：到2030年，集群营收规模达到…」."""
        if not self.item or _unnumbered(self.quote).startswith(_unnumbered(self.item)):
            return self.quote
        return f"{self.item}：{self.quote}"


@lru_cache(maxsize=4096)
def _key(term: str) -> str:
    """:func:`match_key` of a term, kept: the same few terms are looked for in every sentence."""
    return match_key(term)


def _unnumbered(text: str) -> str:
    return match_key(_ITEM_MARK.sub("", text, count=1))


@dataclass(frozen=True)
class PolicyReport:
    profile: Profile
    clusters: tuple[str, ...]  # the 专栏2 clusters the profile belongs to (named, or nearest)
    groups: tuple[tuple[str, tuple[Clause, ...]], ...]  # (chapter heading, clauses), chapters ranked
    targets: tuple[Clause, ...] = field(default_factory=tuple)

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(sorted((c for _, cs in self.groups for c in cs), key=lambda c: -c.score))


class Semantics(Protocol):
    """What the matcher needs of the retriever: similarities of the plan's units to a text."""

    def paragraph_scores(self, query: str) -> Dense: ...

    def sentence_scores(self, query: str) -> dict[tuple[str, int, int], float]: ...

    def similarity(self, a: str, b: str) -> float: ...

    def search_locations(self, query: str, k: int = 5) -> Sequence[Hit]: ...


def clusters(doc: Document) -> tuple[str, ...]:
    """The 22 industrial clusters of 专栏2, as printed."""
    names: list[str] = []
    for p in doc["box2"].paragraphs:
        for piece in re.split(r"\d+[.．]\s*", p.text):
            name = piece.strip().rstrip("；;。")
            if name.endswith("产业集群"):
                names.append(name)
    return tuple(names)


def item_label(location: Location, paragraph: int) -> str:
    """The item a paragraph belongs to, as the plan numbers it: （四）核工业装备产业集群 in a box,
    the paragraph's lead (做强核能产业) in a section, else the location's own title."""
    if not 0 <= paragraph < len(location.paragraphs):
        return location.title
    p = location.paragraphs[paragraph]
    text = p.text.strip()
    lead = (p.lead or "").strip().rstrip("。；;：:")
    mark = _ITEM_MARK.match(text)
    if mark:
        number = f"（{mark.group(1)}）" if mark.group(1) else f"{mark.group(2)}. "
        head = lead or re.split(r"[。；;：:，,]", text[mark.end() :], maxsplit=1)[0]
        return f"{number}{head}" if len(head) <= 30 else location.title
    if lead and len(lead) <= 30:
        return lead
    return f"{_kind_prefix(location)}{location.title}"


def _kind_prefix(location: Location) -> str:
    if location.kind == "box":
        return f"专栏{location.number} "
    if location.kind == "section":
        return f"第{int_to_cn(location.number)}节 "
    return ""


@dataclass(frozen=True)
class _Unit:
    """A sentence of the plan with what the matcher reads around it."""

    sentence: Sentence
    n: int  # its place in its paragraph
    item: str
    head_key: str  # match_key of its paragraph's lead or its location's title: the subject

    @property
    def key(self) -> tuple[str, int]:
        return (self.sentence.location.id, self.sentence.paragraph_index)


@dataclass(frozen=True)
class _Read:
    """A profile as the matcher reads it."""

    text: str  # industry and description
    terms: tuple[str, ...]  # its words that can make a match
    industry: frozenset[str]  # those naming its industry (the industry field, its cluster's name)
    gated: frozenset[str]  # industry words that count only in sentences close in meaning (钢铁)
    unrelated: frozenset[str]  # common words not about the company's business (控制, 配套)
    own: dict[tuple[str, int], str]  # the paragraphs of its clusters' items → cluster
    named: bool  # the industry names its cluster (else the cluster is the nearest one)
    city: str
    traits: tuple[str, ...]
    places: frozenset[str] = frozenset()  # the places it is in: its city, its counties, those it names
    named_places: frozenset[str] = frozenset()  # those whose own item speaks of it: its city, counties named
    named_items: frozenset[tuple[str, int]] = frozenset()  # items whose heading it writes (中德(沈阳)…产业园)
    place_terms: frozenset[str] = frozenset()  # its words naming places (瓦房店, 欧洲): they rank, never make
    aspects: dict[tuple[str, int, int], str] = field(default_factory=dict)  # sentence → its words it answers


class PolicyMatcher:
    def __init__(
        self,
        document: Document,
        extractor: Extractor,
        tokenizer: Tokenizer,
        model: PlanModel | None = None,
        semantics: Semantics | None = None,
    ) -> None:
        self.doc = document
        self.extractor = extractor
        self.tokenizer = tokenizer
        self.model = model
        self.semantics = semantics
        self.cluster_names = clusters(document)
        self._token_cache: dict[str, frozenset[str]] = {}

    # ------------------------------------------------------------------ the plan, read once

    @cached_property
    def units(self) -> list[_Unit]:
        out: list[_Unit] = []
        for loc in self.doc.locations:
            counts: dict[int, int] = {}
            for s in self.extractor.sentences[loc.id]:
                n = counts.get(s.paragraph_index, 0)
                counts[s.paragraph_index] = n + 1
                lead = loc.paragraphs[s.paragraph_index].lead
                head = match_key(lead) if lead else match_key(loc.title)
                out.append(_Unit(s, n, item_label(loc, s.paragraph_index), head))
        return out

    @cached_property
    def cluster_items(self) -> dict[str, frozenset[tuple[str, int]]]:
        """Each cluster's own paragraphs: its item in 专栏3/专栏4 (（四）核工业装备产业集群。…), or for
        a cluster without one the box named after it (未来产业集群 → 专栏5 未来产业布局)."""
        out: dict[str, frozenset[tuple[str, int]]] = {}
        for name in self.cluster_names:
            key, short = match_key(name), match_key(name.removesuffix("产业集群"))
            paragraphs = {
                (loc.id, i)
                for loc in self.doc.boxes
                for i, p in enumerate(loc.paragraphs)
                if p.lead and match_key(p.lead) == key and p.text.count("产业集群") == 1
            }
            if not paragraphs:
                paragraphs = {
                    (loc.id, i)
                    for loc in self.doc.boxes
                    if short in match_key(loc.title)
                    for i in range(len(loc.paragraphs))
                }
            out[name] = frozenset(paragraphs)
        return out

    @cached_property
    def cluster_paragraphs(self) -> dict[str, frozenset[tuple[str, int]]]:
        """Each cluster's paragraphs in the sections of its chapter (the chapter of 专栏2): those
        whose lead names it or a part of its name (推动机器人产业创新发展 for 机器人及智能制造产业集群,
        加快石化和精细化工产业结构优化 for 绿色石化及精细化工产业集群, 布局具备发展潜力的未来产业)."""
        chapter = self.doc["box2"].chapter
        out: dict[str, frozenset[tuple[str, int]]] = {}
        for name in self.cluster_names:
            core = name.removesuffix("产业集群")
            parts = [match_key(t) for t in (core, *re.split(r"[与和及、]", core)) if len(t) >= 2]
            if core.endswith("产业"):  # 未来产业集群
                parts.append(match_key(core))
            out[name] = frozenset(
                (loc.id, i)
                for loc in self.doc.locations
                if loc.kind == "section" and loc.chapter == chapter
                for i, p in enumerate(loc.paragraphs)
                if p.lead and any(part in match_key(p.lead) for part in parts)
            )
        return out

    @cached_property
    def places(self) -> dict[str, str]:
        """Every city and county (县、县级市) by name, short name and name with 市/县 → the place
        (its name as 专栏21 writes it, a city by its short name), for reading a profile."""
        out: dict[str, str] = {}
        for city, counties in lexicon().counties.items():
            out[city] = out[city + "市"] = city
            for county in counties.split():
                out[county] = county
                short = county[:-1]
                if len(short) >= 2 and short not in lexicon().counties:
                    out[short] = county
        return out

    @cached_property
    def item_owners(self) -> dict[tuple[str, int], str]:
        """The paragraphs that are the item of one cluster or one place in a list of them (专栏3's
        （九）高品质钢铁材料产业集群, 专栏19's (十) 朝阳市, 专栏21's 35. 喀左县) → that cluster or place:
        each speaks of its own, not of a company of another."""
        out: dict[tuple[str, int], str] = {}
        for name, items in self.cluster_items.items():
            for key in items | self.cluster_paragraphs[name]:
                out[key] = name
        for loc in self.doc.locations:
            for i, p in enumerate(loc.paragraphs):
                lead = (p.lead or "").strip().rstrip("。：:")
                if lead in self.places:
                    out[(loc.id, i)] = self.places[lead]
        return out

    @cached_property
    def sentence_places(self) -> dict[tuple[str, int, int], frozenset[str]]:
        """The cities and counties each sentence names (朝阳县 is the county, not the city 朝阳)."""
        names = sorted(self.places, key=len, reverse=True)
        out: dict[tuple[str, int, int], frozenset[str]] = {}
        for u in self.units:
            key, found = u.sentence.key, set()
            for name in names:
                k = match_key(name)
                if k in key:
                    found.add(self.places[name])
                    key = key.replace(k, "\0")
            if found:
                out[(u.key[0], u.key[1], u.n)] = frozenset(found)
        return out

    def _elsewhere(self, u: _Unit, profile: _Read, specific: bool) -> bool:
        """The sentence assigns its measure to places, none of them the company's own, and has
        none of the few words that tie it to the company (沈抚改革创新示范区, 佟二堡 among
        岫岩玉、兴城泳装 and other markets)."""
        named = self.sentence_places.get((u.key[0], u.key[1], u.n))
        return bool(profile.places and named and not named & profile.places and not specific)

    def _named_items(self, text: str) -> frozenset[tuple[str, int]]:
        """The items whose whole heading the company writes (位于中德（沈阳）高端装备制造产业园,
        检验检测机构): its own park or trade among the plan's lists, not a cluster or place item."""
        key = match_key(text)
        return frozenset(
            (loc.id, i)
            for loc in self.doc.locations
            for i, p in enumerate(loc.paragraphs)
            if p.lead
            and len(match_key(p.lead)) >= NAMED_ITEM
            and match_key(p.lead) in key
            and (loc.id, i) not in self.item_owners
        )

    def _places_of(self, profile: Profile) -> tuple[frozenset[str], frozenset[str]]:
        """The places a company is in (its city, the city's counties, the counties it names) and
        the ones it names (its city and the counties of its description)."""
        city = profile.city.strip().removesuffix("市")
        named = {city} if city else set()
        key = match_key(profile.description + profile.industry)
        for name in sorted(self.places, key=len, reverse=True):
            if len(name) >= 2 and match_key(name) in key:
                place = self.places[name]
                if place not in lexicon().counties:  # a county; a city in a description may be a customer's
                    named.add(place)
                key = key.replace(match_key(name), "\0")
        within = set(named)
        for c, counties in lexicon().counties.items():
            if c in named:
                within.update(counties.split())
            if named & set(counties.split()):
                within.add(c)
        return frozenset(within), frozenset(named)

    @cached_property
    def _cluster_text(self) -> dict[str, str]:
        return {
            name: match_key(name) + "".join(match_key(self.doc[loc].paragraphs[i].text) for loc, i in items)
            for name, items in self.cluster_items.items()
        }

    @cached_property
    def trait_paragraphs(self) -> dict[str, frozenset[tuple[str, int]]]:
        """For each type of firm, the paragraphs about it: led by one of its words, or in a box
        whose title has one (every item of 专栏13 助力民营企业发展行动 is for private firms)."""
        out: dict[str, frozenset[tuple[str, int]]] = {}
        for trait, words in TRAITS.items():
            found: set[tuple[str, int]] = set()
            for loc in self.doc.locations:
                whole = loc.kind in TRAIT_WHOLE and any(w in loc.title for w in words)
                for i, p in enumerate(loc.paragraphs):
                    if whole or (p.lead and any(w in p.lead for w in words)):
                        found.add((loc.id, i))
            out[trait] = frozenset(found)
        return out

    # ------------------------------------------------------------------ checks

    @staticmethod
    def check(profile: Profile) -> None:
        """Raise :class:`InputError` for a profile without industry and description, or an unknown city or type."""
        if not (profile.industry.strip() or profile.description.strip()):
            raise InputError("请至少填写所属行业或企业简介中的一项。")
        if profile.city and profile.city.removesuffix("市") not in CITIES:
            raise InputError(f"城市须为辽宁省14个地级市之一：{'、'.join(CITIES)}。")
        unknown = [t for t in profile.traits if resolve_trait(t) is None]
        if unknown:
            raise InputError(f"未知的企业类型 {'、'.join(unknown)}：可选 {'、'.join(TRAITS)}。")

    # ------------------------------------------------------------------ the profile

    def _terms(self, text: str) -> list[str]:
        """The profile's words that can make a match: real words (not 基新), not city names, used
        somewhere in the plan but not all over it."""
        out = []
        for t in content_terms(text, self.tokenizer):
            if t in CITIES:
                continue
            df = self._df(t)
            if 1 <= df <= DF_GENERIC and (self.tokenizer.is_word(t) or (len(t) >= 3 and df <= DF_RARE)):
                out.append(t)
        # a character the language seldom uses alone and the plan names alone in a few places: an
        # element or material (硼 in 铁、硼、金等战略性矿产, 锌 in 铜铅锌, 钒), not 这 or 找
        for t in dict.fromkeys(self.tokenizer.tokens(text)):
            if (
                len(t) == 1
                and "\u4e00" <= t <= "\u9fff"
                and 1 <= self._df(t) <= SINGLE_DF
                and self.tokenizer.language_freq(t) <= SINGLE_FREQ
                and t not in out
            ):
                out.append(t)
        return out

    def _tokens(self, text: str) -> frozenset[str]:
        found = self._token_cache.get(text)
        if found is None:
            found = self._token_cache[text] = frozenset(self.tokenizer.tokens(text))
        return found

    def _uses(self, text: str, key: str, term: str) -> bool:
        """``text`` uses ``term`` as a word of its own: 驱动 in 电驱动系统, not inside a longer word
        of the language that means something else (金属 in 重金属, 客户 in 客户端, 新型 in 创新型;
        钢铁 in 钢铁企业 is still 钢铁). jieba's cut decides, or when it glues the term to a
        neighbour (工业母机 in 集成电路、工业母机、, 风电 in 海陆风电), the term standing clear of
        the words of the language on both sides (not 外资 in 拓展省外资源: 省外)."""
        t = _key(term)
        if t not in key:
            return False
        if len(t) == 1:
            return True  # an element's name keeps its meaning in any word (锌 in 铜铅锌, 钒 in 钒钛)
        cut = prepare(term) in self._tokens(text)
        at = key.find(t)
        while at >= 0:
            if not self._inside_word(key, at, len(t)) and (cut or not self._touches(key, at, len(t))):
                return True
            at = key.find(t, at + 1)
        return False

    def _touches(self, key: str, at: int, n: int) -> bool:
        """The term's first or last character makes a word of the language with its neighbour
        (省外 in 拓展省外资源 for 外资)."""
        pairs = (key[at - 1 : at + 1] if at else "", key[at + n - 1 : at + n + 1])
        return any(len(p) == 2 and self.tokenizer.language_freq(p) >= WORD_FREQ for p in pairs)

    def _inside_word(self, key: str, at: int, n: int) -> bool:
        for start in range(max(0, at - WORD_REACH), at + 1):
            for end in range(at + n, min(len(key), at + n + WORD_REACH) + 1):
                if end - start > n and self.tokenizer.language_freq(key[start:end]) >= WORD_FREQ:
                    return True
        return False

    def _rare(self, term: str) -> bool:
        """A word only a few places use (液流电池, 佟二堡), or a character kept for being one (钒)."""
        return len(term) == 1 or self._df(term) <= DF_RARE

    def _df(self, term: str) -> int:
        return round((len(self.units) + 1) / math.exp(self.extractor.idf(term)) - 0.5)

    def _named_clusters(self, industry: str) -> list[str]:
        key = match_key(industry)
        if not key:
            return []
        return [
            c
            for c in self.cluster_names
            if match_key(c.removesuffix("产业集群")) in key or key in match_key(c)
        ]

    def nearest_clusters(self, text: str, terms: list[str]) -> list[str]:
        """The cluster a free-text industry belongs to: the one whose own item uses the industry's
        specific words (weighted by how rare they are in the plan) and is closest in meaning (its
        item or its paragraph in chapter 2); when no item shares a word, the one clearly closest in
        meaning, if any."""
        scores = self.semantics.paragraph_scores(text) if self.semantics else {}
        ranked: list[tuple[float, float, str]] = []
        for name, items in self.cluster_items.items():
            lexical = sum(self.extractor.idf(t) for t in terms if match_key(t) in self._cluster_text[name])
            meaning = max((scores.get(k, 0.0) for k in items | self.cluster_paragraphs[name]), default=0.0)
            ranked.append((lexical, meaning, name))
        with_words = sorted((r for r in ranked if r[0] > 0), key=lambda r: -(r[0] + 10 * r[1]))
        if with_words:
            return [with_words[0][2]]
        by_meaning = sorted(ranked, key=lambda r: -r[1])
        if len(by_meaning) > 1 and by_meaning[0][1] - by_meaning[1][1] >= CLUSTER_MARGIN:
            return [by_meaning[0][2]]
        return []

    def _aspects(self, description: str) -> dict[tuple[str, int, int], str]:
        """Each statement of the description (尾矿也想综合利用起来, 正在找中试场地和早期投资) searched
        like a question: the sentence of each of the few best places that is closest to it."""
        if self.semantics is None or not hasattr(self.semantics, "search_locations"):
            return {}
        out: dict[tuple[str, int, int], str] = {}
        for clause in dict.fromkeys(c.strip() for c in re.split(r"[，。；！？,;!?\n]", description)):
            if len(clause) < ASPECT_MIN:
                continue
            local = self.semantics.sentence_scores(clause)
            for hit in self.semantics.search_locations(clause, k=ASPECT_K):
                chunk = match_key(hit.chunk.text)
                inside = [
                    k for k, key in self._unit_keys.get(hit.location, ()) if key in chunk and k in local
                ]
                if inside:
                    out.setdefault(max(inside, key=local.__getitem__), clause)
        return out

    @cached_property
    def _unit_keys(self) -> dict[str, list[tuple[tuple[str, int, int], str]]]:
        """Each location's sentences: (location, paragraph, n-th sentence) and match key."""
        out: dict[str, list[tuple[tuple[str, int, int], str]]] = {}
        for u in self.units:
            out.setdefault(u.key[0], []).append(((u.key[0], u.key[1], u.n), u.sentence.key))
        return out

    def _diffuse(self, terms: frozenset[str], similarity: _Sims) -> frozenset[str]:
        """The words the plan uses mostly about other things than the company: their sentences are
        on average no closer to it than FOCUS_MIN (高品质 of 高品质钢铁材料: 高品质旅游产品供给,
        高品质的演出、赛事…)."""
        out = set()
        for t in terms:
            zs = [
                similarity.get((u.key[0], u.key[1], u.n), 0.0)
                for u in self.units
                if self._uses(u.sentence.text, u.sentence.key, t)
            ]
            if zs and sum(zs) / len(zs) < FOCUS_MIN:
                out.add(t)
        return frozenset(out)

    def _similarities(self, text: str, dense: Dense | None) -> tuple[_Sims, _Sims]:
        """Each sentence's closeness in meaning to the company, calibrated (median 0, best 1): its
        own, and read in its paragraph ("推进朝阳钒钛资源开发" says little alone)."""
        if self.semantics is not None:
            raw = self.semantics.sentence_scores(text)
            if raw:
                own, context = _calibrate(raw), _calibrate(self.semantics.paragraph_scores(text))
                return own, {k: max(z, PARAGRAPH_SHARE * context.get(k[:2], 0.0)) for k, z in own.items()}
        paragraphs = _calibrate(dense or {})
        both = {(u.key[0], u.key[1], u.n): paragraphs.get(u.key, 0.0) for u in self.units}
        return both, both

    # ------------------------------------------------------------------ matching

    def match(self, profile: Profile, dense: Dense | None = None, k: int = 20) -> PolicyReport:
        """The ``k`` best clauses for ``profile``, by chapter (``dense``: paragraph similarities to
        the profile, used when the matcher has no :class:`Semantics` of its own)."""
        self.check(profile)
        text = "。".join(x.strip() for x in (profile.industry, profile.description) if x.strip())
        industry_terms = self._terms(profile.industry)
        description_terms = self._terms(profile.description)
        named = self._named_clusters(profile.industry)
        if named:
            chosen = named
        elif industry_terms:
            # the industry as the company names it, without its examples in brackets (铸造（风电和机床大件）)
            head = re.split(r"[（(]", profile.industry, maxsplit=1)[0].strip() or profile.industry
            chosen = self.nearest_clusters(head, self._terms(head))
        else:  # by meaning alone: a description's words are as often its customers' or its needs'
            chosen = self.nearest_clusters(profile.description, [])  # (出口, 本地, 回收)
        # the cluster's name is the company's industry in the plan's words: 船舶, 海工装备 whole;
        # its single words (钢铁, 精深) only where the sentence is also close in meaning. Only a
        # cluster the company names: the nearest one to 新型储能 may be 汽车及零部件 for its 电池.
        gated: list[str] = []
        for name in chosen if named else ():  # a guessed cluster's name is not the company's words
            core = name.removesuffix("产业集群")
            parts = [t for t in re.split(r"[与和及、]", core) if len(t) >= 2 and t != core]
            if 1 <= self._df(core) <= DF_GENERIC and core not in industry_terms:
                industry_terms.append(core)
            words = parts + [
                t for t in self.tokenizer.tokens(core) if len(t) >= 2 and self.tokenizer.is_word(t)
            ]
            # a word another cluster's name uses too (精深: 农产品生产与精深加工; 材料, 先进) tells no
            # industry from another
            others = "".join(_key(c) for c in self.cluster_names if c != name)
            words = [t for t in words if _key(t) not in others]
            gated += [t for t in words if t not in industry_terms and 1 <= self._df(t) <= DF_GENERIC]
        # a common word of a free-text industry counts, like a cluster's single words, where the
        # sentence is close in meaning (新型 of 新型储能: 新型城镇化, 新型基础设施…)
        gated += [t for t in industry_terms if self._df(t) > DF_COMMON and t not in gated]
        industry_terms += [t for t in gated if t not in industry_terms]
        terms = list(dict.fromkeys(industry_terms + description_terms))
        # a common word counts only when it is about the company's business in meaning: 芯片 for a
        # chip designer, not 控制 (合理控制开发强度); 钢铁 for a steelmaker, not 精深 (农产品精深加工)
        checked = [t for t in terms if (t not in industry_terms or t in gated) and not self._rare(t)]
        unrelated = frozenset(
            t for t in checked if self.semantics and self.semantics.similarity(t, text) < TERM_MEANING
        )
        own = {k: name for name in chosen for k in self.cluster_items[name] | self.cluster_paragraphs[name]}
        if not named:  # a box standing for a cluster (专栏5 for 未来产业) counts by its matching items
            own = {
                k: name
                for k, name in own.items()
                if len(self.cluster_items[name]) == 1
                or any(match_key(t) in match_key(self.doc[k[0]].paragraphs[k[1]].text) for t in terms)
            }
        read = _Read(
            text=text,
            terms=tuple(dict.fromkeys(industry_terms + terms)),
            industry=frozenset(industry_terms),
            own=own,
            gated=frozenset(gated),
            unrelated=unrelated,
            named=bool(named),
            city=profile.city.removesuffix("市"),
            traits=tuple(dict.fromkeys(t for t in map(resolve_trait, profile.traits) if t)),
        )
        places, named_places = self._places_of(profile)
        tags = dict(self.tokenizer.tagged(text))
        read = replace(
            read,
            places=places,
            named_places=named_places,
            named_items=self._named_items(text),
            place_terms=frozenset(t for t in read.terms if t in self.places or tags.get(t) == "ns"),
        )
        similarity = self._similarities(text, dense)
        # a cluster's single word or a rare word of the description the plan uses about other
        # things (高品质: 高品质旅游产品; 取向 of 取向硅钢: 价值取向) makes no match
        rare = {t for t in read.terms if t not in read.industry and len(t) > 1 and self._rare(t)}
        diffuse = self._diffuse(read.gated | (rare - read.place_terms), similarity[0])
        if diffuse:
            read = replace(
                read,
                terms=tuple(t for t in read.terms if t not in diffuse),
                industry=read.industry - diffuse,
                gated=read.gated - diffuse,
            )
        read = replace(read, aspects=self._aspects(profile.description))
        scored: list[Clause] = []
        focused: set[tuple[str, str]] = set()  # clauses in a place about one of its types of firm
        for u in self.units:
            c = self._score(u, read, *similarity)
            if c:
                scored.append(c)
                if self._for_firms(u) or any(
                    self._trait_weight(u, t) >= 1 for t in read.traits if self._speaks_to(u, t)
                ):
                    focused.add((c.location, c.quote))
        scored.sort(key=lambda c: -c.score)
        scored = _dedupe(scored)
        top = _select(scored, k, read.traits, focused)
        targets = self._targets(scored, {k: c for k, c in read.own.items() if k in self.cluster_items[c]})
        groups: dict[str, list[Clause]] = {}
        for c in top:
            groups.setdefault(self.doc[c.location].title_path[0], []).append(c)
        ranked = sorted(groups.items(), key=lambda kv: -max(c.score for c in kv[1]))
        return PolicyReport(profile, tuple(chosen), tuple((h, tuple(cs)) for h, cs in ranked), targets)

    def _score(
        self,
        u: _Unit,
        profile: _Read,
        own: _Sims,
        similarity: _Sims,
    ) -> Clause | None:
        s = u.sentence
        if len(s.text) < 12 or _HEADING.match(s.text):
            return None  # a bare sub-heading or list label is not a clause
        if any(w in s.location.title for w in NOT_MEASURES):
            return None  # the plan's record, outlook and aims: nothing a company can apply for
        z = similarity.get((u.key[0], u.key[1], u.n), 0.0)
        alone = own.get((u.key[0], u.key[1], u.n), 0.0)
        reasons: list[str] = []
        strength = 0.0
        cluster = profile.own.get(u.key)
        if cluster:
            strength += CLUSTER_ITEM if profile.named else CLUSTER_ITEM / 2
            reasons.append(f"行业:{cluster}")
        lead = s.location.paragraphs[s.paragraph_index].lead or ""
        placed = 0.0  # what the places it names add: only to a clause on its business
        specific = False  # it uses a word of the company's that few places use (佟二堡)
        for t in profile.terms:
            industry = t in profile.industry
            in_sentence = self._uses(s.text, s.key, t)
            if not (in_sentence or (lead and self._uses(lead, u.head_key, t))):
                continue
            rare = self._rare(t)
            if t in profile.unrelated:
                continue
            gate = GATED_GATE if t in profile.gated else MEANING_GATE
            if (not industry or t in profile.gated) and not rare and alone < gate and not cluster:
                continue  # a common word in a sentence about something else
            # a word only a few places use (中德, 佟二堡, 液流电池) says most about the company
            weight = self.extractor.idf(t) / (2 if rare else 3)
            gain = weight * (1.0 if in_sentence else 0.7) + (1.0 if industry else 0.0)
            specific = specific or rare
            if t in profile.place_terms:
                placed += gain
            else:
                strength += gain
            shown = self._shown(t, profile.text, s.text if in_sentence else lead)
            reasons.append(f"{'行业' if industry else '业务'}:{shown}")
        owner = self.item_owners.get(u.key)
        if u.key in profile.named_items:
            # its own park or trade among the plan's items (专栏16's 中德(沈阳)高端装备制造产业园)
            strength += CLUSTER_ITEM
            reasons.append(f"业务:{lead.strip().rstrip('。：:')}")
        # the item of its city (专栏19) or of a county it names (专栏21)
        city_item = owner in profile.named_places
        if strength or city_item:
            strength += placed
        elif placed:
            reasons = [r for r in reasons if not r.startswith("业务:")]
        trait_hits = [t for t in profile.traits if self._speaks_to(u, t)]
        bare_lead = s.text.rstrip("。") == lead.rstrip("。")  # a sub-heading, not a clause on its own
        aspect = profile.aspects.get((u.key[0], u.key[1], u.n))
        meaning_only = not strength and not trait_hits and not (city_item and z >= CITY_GATE) and not aspect
        if meaning_only and (z < MEANING_ALONE or bare_lead):
            return None
        if aspect:
            reasons.append(f"描述:{aspect}")  # what the company says it does or needs, answered here
        elif not strength and not trait_hits and not city_item:
            reasons.append("语义:相近")  # in for its meaning alone: say so
        score = strength + MEANING_WEIGHT * max(z, 0.0) + (ASPECT_BONUS if aspect else 0.0)
        if city_item or (profile.city and strength and profile.city in s.text):
            # the city ranks a clause on the company's industry (or the city's own item, 专栏19),
            # never makes one: 大连 + 户外运动目的地 is not about a shipbuilder
            score += CITY_BONUS
            reasons.append(f"城市:{owner if city_item else profile.city}")
        for trait in trait_hits:
            # a paragraph or box about the type of firm outranks a place that names it often, and
            # that a passing mention (支持民营企业、中小企业平等参与场景创新 in a section on science)
            score += TRAIT_BONUS * self._trait_weight(u, trait)
            reasons.append(f"类型:{trait}")
        if _is_target(s.text):
            score += 0.5
        if owner and owner not in profile.own.values() and owner not in profile.places:
            # the item of another cluster or another place: 专栏4's 节能环保 item names 再生钢铁, but
            # for a steelmaker of 专栏3; 专栏19's 鞍山 item names 菱镁, but for a firm in 营口
            known = profile.named if owner in self.cluster_items else bool(profile.places)
            if known:
                score *= OTHER_ITEM
        elif not cluster and self._elsewhere(u, profile, specific):
            # a measure for other places: 依托沈阳、大连打造储能装备基地, for a firm in 朝阳
            score *= ELSEWHERE
        return Clause(
            s.location.id,
            s.location.path,
            s.text,
            round(score, 3),
            _tidy(reasons),
            s.paragraph_index,
            u.item,
        )

    def _shown(self, term: str, profile: str, text: str) -> str:
        """The term as a reason: the longest word of the sentence that has it and that the profile
        uses too (液化天然气 for 天然气), so a reason reads as the words both use."""
        key = prepare(profile)
        words = [w for w in self._tokens(text) if term in w and w in key and self.tokenizer.is_word(w)]
        return max(words, key=len, default=term)

    def _speaks_to(self, u: _Unit, trait: str) -> bool:
        """Whether a sentence is for a type of firm: in a paragraph or box about it, or naming it
        outside a paragraph led by another type (培育壮大外贸经营主体规模 lists 高新技术企业 among
        the firms to help export: a measure for exporters)."""
        if u.key in self.trait_paragraphs[trait]:
            return True
        led_by = self.lead_traits.get(u.key, frozenset())
        return not (led_by - {trait}) and self._names_type(u.sentence, trait)

    def _names_type(self, s: Sentence, trait: str) -> bool:
        """The sentence names the type of firm as a word of its own (外资 not in 拓展省外资源)."""
        key = s.key
        for other in NOT_THE_TYPE.get(trait, ()):
            key = key.replace(_key(other), "\0")
        return any(self._names(key, _key(w)) for w in TRAITS[trait])

    def _names(self, key: str, word: str) -> bool:
        """``key`` has ``word`` other than across two words of the language (国资 in 全国资源:
        全国 + 资源), which jieba's cut would not show (it keeps 与央企, 个央企 whole)."""
        at = key.find(word)
        while at >= 0:
            before = key[max(0, at - 1) : at + 1]
            after = key[at + len(word) - 1 : at + len(word) + 1]
            if not all(len(x) == 2 and self.tokenizer.language_freq(x) >= WORD_FREQ for x in (before, after)):
                return True
            at = key.find(word, at + 1)
        return False

    @cached_property
    def lead_traits(self) -> dict[tuple[str, int], frozenset[str]]:
        """The types of firm each paragraph's lead names (提升国资国企竞争力 → 国有)."""
        out: dict[tuple[str, int], frozenset[str]] = {}
        for loc in self.doc.locations:
            for i, p in enumerate(loc.paragraphs):
                if p.lead:
                    named = frozenset(t for t, words in TRAITS.items() if any(w in p.lead for w in words))
                    if named:
                        out[(loc.id, i)] = named
        return out

    @cached_property
    def trait_mentions(self) -> dict[str, dict[str, int]]:
        """For each type of firm, how many sentences of each location name it."""
        out: dict[str, dict[str, int]] = {trait: {} for trait in TRAITS}
        for u in self.units:
            for trait in TRAITS:
                if self._names_type(u.sentence, trait):
                    counts = out[trait]
                    counts[u.key[0]] = counts.get(u.key[0], 0) + 1
        return out

    def _for_firms(self, u: _Unit) -> bool:
        """The sentence's paragraph or place is about firms (强化企业科技创新主体地位, 充分激发各类
        经营主体活力): a type of firm it names in passing is one of those it is for."""
        lead = u.sentence.location.paragraphs[u.sentence.paragraph_index].lead or ""
        return any(w in lead or w in u.sentence.location.title for w in FIRMS)

    def _trait_weight(self, u: _Unit, trait: str) -> float:
        if u.key in self.trait_paragraphs[trait]:
            return 2.0
        return 1.0 if self.trait_mentions[trait].get(u.key[0], 0) >= TRAIT_FOCUS else TRAIT_PASSING

    def _targets(self, scored: list[Clause], own: dict[tuple[str, int], str]) -> tuple[Clause, ...]:
        """The targets (营收规模达到…) of the company's clusters' items, each named by its item."""
        return tuple(c for c in scored if (c.location, c.paragraph) in own and _is_target(c.quote))[:5]


def _calibrate(
    scores: dict[_K, float],
) -> dict[_K, float]:
    """Similarities mapped so that this query's median unit scores 0 and its best 1: cosines of
    different embedders (USE 0.1-0.7, e5 0.8-0.9) and of short and long profiles compare."""
    if not scores:
        return {}
    values = sorted(scores.values())
    mid, best = values[len(values) // 2], values[-1]
    span = max(best - mid, 1e-9)
    return {key: (s - mid) / span for key, s in scores.items()}


def _select(
    clauses: list[Clause], k: int, traits: tuple[str, ...], focused: set[tuple[str, str]] | None = None
) -> list[Clause]:
    """The best ``k`` clauses: first each trait's best clauses, then one ranked list in which a
    clause from a location already shown counts for less (REPEAT_DISCOUNT per clause shown there).

    A report that is all one box tells the company less than one that also shows the section that
    names its industry and the measures for its type of firm (民营, 专精特新, 外贸…).
    """
    per_trait = max(1, min(int(TRAIT_SHARE * k) // max(len(traits), 1), TRAIT_SLOTS))
    chosen: list[Clause] = []
    per_loc: dict[str, int] = {}

    def take(c: Clause) -> None:
        chosen.append(c)
        per_loc[c.location] = per_loc.get(c.location, 0) + 1

    for trait in traits:
        # each trait's best places; one the report already shows for another trait counts
        # (专栏13 is for 民营 and 中小企业 firms alike): no weaker place is added to make up
        places: set[str] = set()
        typed = [c for c in clauses if f"类型:{trait}" in c.reasons]
        # a place that names the type in passing (推动国有企业加快实施…项目 among investments) is
        # no place for it: only those about it, or that name it often, are shown for the type
        for c in (c for c in typed if focused is None or (c.location, c.quote) in focused):
            if len(places) >= per_trait:
                break
            if c.location not in places:
                places.add(c.location)
                if c.location not in per_loc:
                    take(c)
    rest = [c for c in clauses if c not in chosen]
    while len(chosen) < k:
        open_ = [c for c in rest if per_loc.get(c.location, 0) < PER_LOCATION]
        if not open_:
            break
        best = max(open_, key=lambda c: c.score * REPEAT_DISCOUNT ** per_loc.get(c.location, 0))
        rest.remove(best)
        take(best)
    return sorted(chosen[:k], key=lambda c: -c.score)


def _tidy(reasons: list[str]) -> tuple[str, ...]:
    """Distinct reasons without terms another reason contains: 行业:船舶 goes beside 行业:船舶与海工装备,
    业务:大连 beside 城市:大连."""
    unique = list(dict.fromkeys(reasons))
    terms = [r.split(":", 1)[1] for r in unique]

    def covered(i: int) -> bool:
        t, business = terms[i], unique[i].startswith("业务")
        return any(
            j != i and t in u and (t != u or (business and not unique[j].startswith("业务")))
            for j, u in enumerate(terms)
        )

    return tuple(r for i, r in enumerate(unique) if not covered(i))


def _is_target(text: str) -> bool:
    return bool(re.search(r"(营收|规模|产值|达到|突破).{0,20}\d", text))


def _dedupe(clauses: list[Clause]) -> list[Clause]:
    seen: set[tuple[str, str]] = set()
    out = []
    for c in clauses:
        key = (c.location, c.quote)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def to_markdown(report: PolicyReport) -> str:
    """The report as a Markdown document: profile, clusters, targets, then clauses by chapter."""
    p = report.profile

    def text(value: str) -> str:  # what the user typed: no HTML survives into a Markdown viewer
        return html.escape(" ".join(value.split()), quote=False) or "—"

    lines = [
        "# 企业政策匹配报告",
        "",
        f"- 行业：{text(p.industry)}　城市：{text(p.city)}　类型：{text('、'.join(p.traits))}",
        f"- 简介：{text(p.description)}",
    ]
    if report.clusters:
        lines.append(f"- 对应重点产业集群（专栏2）：{'、'.join(report.clusters)}")
    if report.targets:
        lines += ["", f"## {TARGETS_HEADING}", ""]
        lines += [f"- {c.text}（{c.location}｜{c.title}）" for c in report.targets]
    for heading, clauses in report.groups:
        lines += ["", f"## {heading}", ""]
        for c in clauses:
            lines.append(f"- 「{c.text}」 —— {c.title}（{c.location}）；匹配：{text(reason_text(c.reasons))}")
    return "\n".join(lines) + "\n"


CSV_HEADER = ("分组", "所属条目", "条款原文", "出处", "匹配理由")


def reason_text(reasons: tuple[str, ...]) -> str:
    """Reasons as a reader writes them: 行业：船舶、城市：大连 (语义相近 when there is none)."""
    return "、".join(r.replace(":", "：", 1) for r in reasons) or "语义相近"


def to_csv(report: PolicyReport) -> str:
    """One row per clause (the industry's targets first), for a spreadsheet; no BOM. Chinese
    headers, and only what a reader needs: no scores or other internals."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_HEADER)
    for heading, clauses in ((TARGETS_HEADING, report.targets), *report.groups):
        for c in clauses:
            row = [heading, c.item, c.quote, c.title, reason_text(c.reasons)]
            writer.writerow([spreadsheet_safe(v) for v in row])
    return buf.getvalue()
