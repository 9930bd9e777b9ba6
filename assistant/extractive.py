"""The offline generator: answers composed only of sentences quoted from the plan.

Each question type has its own handling (see :mod:`assistant.query`): a figure needs a sentence
that carries a number in the asked unit (and the asked year); a where-question names the
chapter/section; a list returns the enumerated items; a direct reference reads that location;
an indicator question reads the parsed 专栏1 row. When no sentence covers the question's subject
well enough, or the asked fact is not there (another province, a year the plan does not state,
a figure it never gives), the answer abstains and points to the nearest sections instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any

from .answering.weights import MIN_COVERAGE, NEAR_COVERAGE, RARE_TERM
from .answers import Citation
from .indicators import FLAG_NOTES, IndicatorRow
from .normalize import match_key, normalize_years
from .parse import ITEM_NUMBER_RE, Document, Location
from .query import CITIES, LOCAL, Question, mentions
from .retrieve import Hit

SENTENCE = re.compile(r"[^。！？；]+[。！？；]?")
RETROSPECTIVE = ("ch1.s1",)
COUNTERS = (
    "个",
    "家",
    "项",
    "所",
    "座",
    "处",
    "条",
    "支",
    "名",
)  # "多少个" is answered by "30家"  # 发展基础: what was achieved in 2021-2025, not targets


_PART_WORDS = frozenset({"方向", "方面", "部分", "领域", "内容", "任务", "类", "几类", "项目"})
Dense = dict[tuple[str, int], float]  # (location, paragraph index) → similarity to the question


@dataclass(frozen=True)
class Sentence:
    location: Location
    paragraph_index: int
    text: str

    @cached_property
    def key(self) -> str:
        return match_key(self.text)

    @cached_property
    def lead(self) -> str:
        """The first sentence of the paragraph, which often names its subject (（一）汽车…集群。)."""
        sentences = split_sentences(self.location.paragraphs[self.paragraph_index].text)
        return sentences[0] if sentences else ""

    @cached_property
    def lead_key(self) -> str:
        return match_key(self.lead)


@dataclass(frozen=True)
class Draft:
    """What the generator decided, before the text is rendered and verified."""

    kind: str
    abstained: bool
    text: str
    citations: tuple[Citation, ...]
    # numbers the answer derives from the plan rather than quotes (a count of sections, a
    # difference of two table cells); each is shown marked as computed
    computed: tuple[str, ...] = ()


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if len(s.strip()) > 1]


NUM = r"(?:\d[\d.,]*|[一二三四五六七八九十两][一二三四五六七八九十百千两]*)"  # not 千万千瓦级


def _elsewhere(q: Question, s: Sentence) -> bool:
    """The sentence is an item of a place the question does not name: 专栏16's "（一）大连金普新区"
    sets 金普新区's 地区生产总值, which is no answer to the province's (or another place's) GDP."""
    m = ITEM_NUMBER_RE.match(s.lead)
    if m is None or s.location.id in q.focus:
        return False
    head = re.split(r"[。；：:]", s.lead[m.end() :], maxsplit=1)[0]
    cities = [c for c in CITIES if c in head]
    if not cities or any(c in q.text for c in cities):
        return False
    return not any(len(t) >= 2 and t in head for t in q.terms)


def _unit_pattern(unit: str) -> re.Pattern[str]:
    """What a figure in the asked unit looks like: 1.2 万公里, 70%, 三十年, 250 亿元."""
    if unit == "%":
        return re.compile(r"\d(?:[\d.]*)\s*(?:%|％|‰|个百分点)")
    if unit == "year":
        return re.compile(r"20\d{2}\s*年|二〇[一二三四五六七八九〇]{2}年")
    if unit == "money":
        return re.compile(r"\d[\d.,]*\s*(?:多|余)?\s*(?:万亿元|亿元|万元|元)")
    if unit == "agent":  # a sentence that says who leads or is responsible
        return re.compile(r"牵头|负责|主管")
    units = COUNTERS if unit in COUNTERS else (unit,)
    alternatives = "|".join(re.escape(u) for u in units)
    return re.compile(NUM + r"\s*(?:多|余)?\s*(?:万|亿|千|百)?\s*(?:" + alternatives + ")")


class Extractor:
    """Picks and quotes sentences; holds document statistics (idf) computed once."""

    def __init__(self, document: Document) -> None:
        self.doc = document
        self.sentences: dict[str, list[Sentence]] = {
            loc.id: [
                Sentence(loc, i, s) for i, p in enumerate(loc.paragraphs) for s in split_sentences(p.text)
            ]
            for loc in document.locations
        }
        self._all_keys = [s.key for sents in self.sentences.values() for s in sents]
        # bounded: question terms are user input, so an unbounded dict would grow without end
        self.idf = lru_cache(maxsize=8192)(self._idf)

    # ------------------------------------------------------------------ scoring

    def _idf(self, term: str) -> float:
        key = match_key(term)
        df = sum(1 for k in self._all_keys if key in k)
        return math.log((len(self._all_keys) + 1) / (df + 0.5))

    def coverage(self, terms: tuple[str, ...], sentence: Sentence) -> float:
        if not terms:
            return 0.0
        title = match_key(sentence.location.path)
        total = got = 0.0
        for t in terms:
            w = max(self.idf(t), 0.1)
            total += w
            k = match_key(t)
            if k in sentence.key:
                got += w
            elif k in sentence.lead_key:
                got += 0.8 * w  # the paragraph's opening names the subject of its later sentences
            elif k in title:
                got += 0.5 * w
            elif len(k) >= 4 and (k[:2] in sentence.key and k[2:] in sentence.key):
                got += 0.5 * w  # a compound split by the plan's wording (清洁能源装机 → 清洁能源…装机)
        return got / total

    def _satisfies(self, q: Question, s: Sentence) -> bool:
        """Hard constraints a figure/when answer must meet."""
        text = normalize_years(s.text)
        if q.kind in ("figure", "when") and s.location.id in RETROSPECTIVE and _future(q):
            return False
        if q.unit and not _unit_pattern(q.unit).search(text):
            return False
        if q.kind == "figure" and not q.unit and not re.search(r"\d", re.sub(r"20\d{2}\s*年", "", text)):
            return False  # a year alone is not the figure asked for
        years = [y for y in q.years if y not in (2025, 2030)]
        if any(str(y) not in text for y in years):
            return False
        if q.kind in ("figure", "when") and not q.bound_to and _elsewhere(q, s):
            return False
        return all(p in s.text for p in q.provinces) and self._bound(q, s)

    @staticmethod
    def _bound(q: Question, s: Sentence) -> bool:
        """A figure belongs to the named thing asked about: its sentence or its item head names it.

        "到2030年，集群营收规模达到1050亿元。" is the target of the cluster its item head names, and
        never an answer about another cluster.
        """
        names = [match_key(n) for n in q.bound_to if len(n) >= 2]
        return not names or any(n in s.key or n in s.lead_key for n in names)

    def rank(
        self, q: Question, locations: list[str], hits_rank: dict[str, int]
    ) -> list[tuple[float, Sentence]]:
        scored: list[tuple[float, Sentence]] = []
        for loc_id in locations:
            prior = 0.08 / (1 + hits_rank.get(loc_id, 10))
            for s in self.sentences.get(loc_id, []):
                if "\t" in s.text:
                    continue  # a row of the 专栏1 table: answered from the parsed table, never as raw text
                scored.append((self.coverage(q.terms, s) + prior, s))
        scored.sort(key=lambda x: -x[0])
        return scored

    # ------------------------------------------------------------------ answering

    def answer(
        self,
        q: Question,
        hits: list[Hit],
        focus: tuple[str, ...] = (),
        paragraph_scores: dict[tuple[str, int], float] | None = None,
        subjects: Sequence[Any] = (),
    ) -> Draft:
        dense = paragraph_scores or {}
        # the cluster a figure must belong to (see _bound), carried by the question itself: the
        # extractor is shared by concurrent requests and keeps no per-question state
        # a cluster's or a place's figure: the sentence or its item head must name it (专栏16's
        # "到 2030 年，地区生产总值突破 4000 亿元" is 金普新区's, never 丹东's)
        named = [e for e in subjects if getattr(e, "kind", "") in ("cluster", "city", "county")]
        if named:
            q = replace(q, bound_to=tuple(n for e in named for n in (e.name, *e.aliases)))
        if focus:
            q = replace(q, focus=focus)
        rows = [] if q.provinces else self.indicator_rows(q)
        if rows:
            return self._indicator(q, rows)
        if q.kind == "reference" or (q.kind in ("list", "fact") and q.refs and not q.terms):
            targets = q.refs or focus
            if targets:
                return self._summary(self.doc[targets[0]])
        if q.kind == "list" and q.refs and self._about_whole(q, self.doc[q.refs[0]]):
            # "专栏5的未来产业布局分为哪几个方向？": the answer is the location's own items
            return self._summary(self.doc[q.refs[0]])
        if q.refs and q.kind not in ("where",):
            # a question naming 专栏N / 第X章第Y节 is answered from there when that location can
            ranked_refs = self.rank(q, list(q.refs), {r: 0 for r in q.refs})
            if ranked_refs and ranked_refs[0][0] >= MIN_COVERAGE:
                draft = self._by_kind(q, ranked_refs, [h for h in hits if h.location in q.refs], dense)
                if not draft.abstained:
                    return draft
        locations = list(dict.fromkeys([*q.refs, *focus, *(h.location for h in hits)]))
        hits_rank = {loc: i for i, loc in enumerate(dict.fromkeys(h.location for h in hits))}
        for loc in (*q.refs, *focus):
            hits_rank.setdefault(loc, 0)
        return self._by_kind(q, self.rank(q, locations, hits_rank), hits, dense)

    def _by_kind(
        self, q: Question, ranked: list[tuple[float, Sentence]], hits: list[Hit], dense: Dense
    ) -> Draft:
        if q.kind == "where":
            return self._where(q, ranked)
        if q.kind == "enterprise":
            return self._open(q, ranked)
        if q.kind == "list":
            return self._list(q, ranked, hits, dense)
        return self._figure_or_fact(q, ranked, hits, dense)

    def _figure_or_fact(
        self, q: Question, ranked: list[tuple[float, Sentence]], hits: list[Hit], dense: Dense
    ) -> Draft:
        strict = q.kind in ("figure", "when")
        for score, s in ranked[:60]:
            if score < MIN_COVERAGE:
                break
            if strict and not self._satisfies(q, s):
                continue
            para = s.location.paragraphs[s.paragraph_index].text
            if len(para) <= 20 and s.paragraph_index + 1 < len(s.location.paragraphs):
                continue  # a sub-heading such as "（二）农村公路建设项目。": its content follows
            if not strict and any(p not in s.text for p in q.provinces):
                continue
            extra = [
                s2
                for sc2, s2 in ranked[:8]
                if s2 is not s
                and sc2 >= max(MIN_COVERAGE, score - 0.05)
                and s2.location.id == s.location.id
                and strict
                and self._satisfies(q, s2)
            ][:1]
            quotes = [s, *extra]
            if s.lead != s.text and any(
                match_key(t) in s.lead_key and match_key(t) not in s.key for t in q.terms
            ):
                quotes.insert(0, Sentence(s.location, s.paragraph_index, s.lead))
            body = "".join(x.text for x in quotes)
            return Draft(q.kind, False, f"根据{s.location.cite}：{body}", cite_sentences(quotes))
        anchored = self._anchored(q) if strict else None
        if anchored is not None:
            return Draft(
                q.kind, False, f"根据{anchored.location.cite}：{anchored.text}", cite_sentences([anchored])
            )
        if not strict and _open_question(q):
            return self._open(q, ranked)
        if q.inherited_unit and q.unit:
            # a follow-up borrowed the previous question's unit: any figure will do
            return self._figure_or_fact(replace(q, unit=None, inherited_unit=False), ranked, hits, dense)
        return self._abstain(q, ranked)

    def _anchored(self, q: Question) -> Sentence | None:
        """The figure or time asked of a term the plan uses in very few sentences, wherever it is.

        Spoken questions wrap their subject in words the plan never uses ("我妈瘫床上好几年了
        长期护理保险到底啥时候能覆盖所有人"), which keep every sentence below MIN_COVERAGE; but a
        term this rare names one thing, and its sentence that gives the asked figure or time
        answers. The term is the question's longest run of adjacent subject words the plan writes.
        """
        key = match_key(q.text)
        # the longest subject word at each place it occurs, every occurrence ("幼儿园学费很贵
        # 普惠性幼儿园…" has its run at the second 幼儿园)
        at: dict[int, str] = {}
        for k in {match_key(t) for t in q.terms} - {""}:
            for m in re.finditer(re.escape(k), key):
                if len(k) > len(at.get(m.start(), "")):
                    at[m.start()] = k
        anchors: list[str] = []
        for start in sorted(at):
            run = at[start]
            while start + len(run) in at:
                run += at[start + len(run)]
            if len(run) >= 3 and 0 < self._df(run) <= RARE_TERM:
                anchors.append(run)
        found = [
            s
            for sents in self.sentences.values()
            for s in sents
            if any(a in s.key for a in anchors) and "\t" not in s.text and self._satisfies(q, s)
        ]
        if not found:
            return None
        return max(found, key=lambda s: self.coverage(q.terms, s))

    def _df(self, key: str) -> int:
        return sum(1 for k in self._all_keys if key in k)

    def _where(self, q: Question, ranked: list[tuple[float, Sentence]]) -> Draft:
        if "专栏" in q.text:  # "在哪个专栏": only boxes answer
            ranked = [(sc, s) for sc, s in ranked if s.location.kind == "box"] or ranked
        if not ranked:
            return self._abstain(q, ranked)
        best = self._devoted(q, ranked) if _ASKS_PART.search(q.text) else None
        best = best or ranked[0][1]
        loc = best.location
        if loc.kind == "box" and loc.parent and re.search(r"哪[一个]?[节章]|第几[节章]", q.text):
            # "哪一节" asks for a section: a box answers through the section it belongs to
            section = self.doc[loc.parent]
            lead = next((s for _, s in ranked if s.location.id == section.id), None)
            quotes = [lead, best] if lead else [best]
            text = f"相关内容在{section.cite}（{section.path}），并见其后的{loc.cite}。例如：{best.text}"
            return Draft("where", False, text, cite_sentences(quotes))
        where = loc.cite
        if loc.kind == "box" and loc.parent:
            where += f"（位于{self.doc[loc.parent].cite}之后）"
        text = f"相关内容在{where}（{loc.path}）。例如：{best.text}"
        return Draft("where", False, text, cite_sentences([best]))

    def _devoted(self, q: Question, ranked: list[tuple[float, Sentence]]) -> Sentence | None:
        """For "讲养老的是哪一章哪一节": the place given to the topic, not the best single sentence.

        Among the places whose sentences cover the question, the one whose title names the topic
        (the chapter's, when a chapter is asked), then the one whose paragraph leads do, then the one
        that says it most often; None when no title or lead names it (a detail, found by its sentence).
        """
        terms = [match_key(t) for t in q.terms if len(t) >= 2 and not _PART_WORD.fullmatch(t)]
        if not terms:
            return None
        chapter_only = "章" in (_ASKS_PART.search(q.text) or [""])[0] and "节" not in q.text
        best: dict[str, tuple[tuple[int, int, int], Sentence]] = {}
        for score, s in ranked[:80]:
            if score < NEAR_COVERAGE:  # the part words (哪一章) are terms too and lower every score
                break
            loc = s.location
            if loc.id in best:
                continue
            title = match_key(" ".join(loc.title_path[:1]) if chapter_only else loc.title)
            leads = [match_key(p.lead or split_sentences(p.text)[0]) for p in loc.paragraphs if p.text]
            said = sum(all(t in match_key(p.text) for t in terms) for p in loc.paragraphs)
            rank = (
                int(all(t in title for t in terms)),
                sum(all(t in lead for t in terms) for lead in leads),
                said,
            )
            best[loc.id] = (rank, s)
        if not best:
            return None
        top, sentence = max(best.values(), key=lambda v: v[0])
        return sentence if top[0] or top[1] else None

    def _list(
        self, q: Question, ranked: list[tuple[float, Sentence]], hits: list[Hit], dense: Dense
    ) -> Draft:
        if not ranked or ranked[0][0] < MIN_COVERAGE:
            if _open_question(q):
                return self._open(q, ranked)
            return self._abstain(q, ranked)
        best = ranked[0][1]
        loc = best.location
        para = loc.paragraphs[best.paragraph_index].text
        quotes = [best]
        # An enumerated sub-heading ("（一）世界级") names a list printed in the next paragraph.
        if len(para) <= 20 and best.paragraph_index + 1 < len(loc.paragraphs):
            nxt = loc.paragraphs[best.paragraph_index + 1].text
            quotes = [Sentence(loc, best.paragraph_index + 1, nxt)]
        elif len(best.text) < 30:
            # "支持沈阳“一枢纽、四中心”建设。" announces a list that the next sentences spell out
            start = para.find(best.text)
            quotes = [Sentence(loc, best.paragraph_index, _clip(para[max(start, 0) :], 300))]
        elif not re.search(r"[、；]", best.text):
            # the sentence itself has no enumeration: quote the paragraph around it
            quotes = [Sentence(loc, best.paragraph_index, _clip(para))]
        body = "".join(x.text for x in quotes)
        return Draft("list", False, f"根据{loc.cite}：{body}", cite_sentences(quotes))

    @staticmethod
    def _about_whole(q: Question, loc: Location) -> bool:
        """True when every subject term of the question is in the location's own title."""
        title = match_key(loc.title)
        return all(match_key(t) in title or t in _PART_WORDS for t in q.terms)

    def _summary(self, loc: Location) -> Draft:
        leads = [p.lead for p in loc.paragraphs if p.lead] or [split_sentences(loc.text)[0]]
        # quote each lead as printed: "做强核能产业。", or "未来制造" before its colon
        quotes = [Sentence(loc, 0, f"{lead}。" if f"{lead}。" in loc.text else lead) for lead in leads]
        items = "；".join(lead.rstrip("。") for lead in leads)
        text = f"{loc.cite}（{loc.path}）主要讲了：{items}。"
        return Draft("reference", False, text, cite_sentences(quotes[:8]))

    def _open(self, q: Question, ranked: list[tuple[float, Sentence]]) -> Draft:
        """No sentence answers an open question: an abstention the router may replace by an overview."""
        return replace(self._abstain(q, ranked), kind="open")

    def _abstain(self, q: Question, ranked: list[tuple[float, Sentence]]) -> Draft:
        near: list[Sentence] = []
        for score, s in ranked:
            if score < NEAR_COVERAGE:
                break  # nothing shares the question's subject: point nowhere rather than anywhere
            if s.location.id not in {n.location.id for n in near}:
                near.append(s)
            if len(near) == 2:
                break
        asked = {
            "year": "具体时间",
            "%": "具体比例数值",
            "money": "具体金额",
            "agent": "负责部门或负责人",
        }.get(q.unit or "", "具体数值" if q.kind == "figure" else "相关内容")
        reason = ""
        if q.provinces:
            reason = f"本规划是辽宁省的规划，不包含{'、'.join(q.provinces)}的相关目标。"
        elif any(y not in (2025, 2030) for y in q.years):
            reason = f"规划的目标年份主要是2030年（远景展望到2035年），没有给出{'、'.join(str(y) for y in q.years)}年的数值。"
        text = f"规划纲要中没有找到这个问题的{asked}，无法给出确切回答。{reason}"
        said = next(
            (
                s
                for score, s in ranked[:3]
                if score >= MIN_COVERAGE and self._bound(q, s) and (q.bound_to or not _elsewhere(q, s))
            ),
            None,
        )
        if said is not None and not q.provinces:
            # the subject is there, the asked fact is not: say what the plan does say about it
            # (about the thing asked: never another place's or cluster's sentence)
            text += f"规划中关于这一点的表述是：「{said.text}」（{said.location.cite}）"
        if near:
            text += "相关内容可参阅：" + "；".join(f"{s.location.cite}" for s in near) + "。"
        return Draft(q.kind, True, text, cite_sentences(near))

    # ------------------------------------------------------------------ 专栏1

    def indicator_rows(self, q: Question) -> list[IndicatorRow]:
        """Rows of 专栏1 the question names (most of a row's name appears in the question)."""
        if any(y not in (2025, 2030) for y in q.years) or LOCAL.search(q.text) or mentions(q.text, CITIES):
            return []  # the table has 2025 and 2030 columns, for the whole province only
        key = match_key(q.text)
        exact: list[IndicatorRow] = []
        partial: list[IndicatorRow] = []
        for row in self.doc.indicators:
            if not _unit_compatible(q.unit, row.unit):
                continue
            variants = [v for v in _name_variants(row.name) if len(v) >= 3]
            if any(v in key for v in variants):
                exact.append(row)
            elif any(_overlap(v, key) >= 0.7 for v in variants):
                partial.append(row)  # e.g. 海洋生产总值 for 海洋生产总值增长
        found = exact or partial
        # prefer the most specific names when one contains another
        return [
            r for r in found if not any(r is not o and match_key(r.name) in match_key(o.name) for o in found)
        ]

    def _indicator(self, q: Question, rows: list[IndicatorRow]) -> Draft:
        box = self.doc["box1"]
        parts, citations, abstain = [], [], False
        for row in rows:
            unit = f"（{row.unit}）" if row.unit else ""
            cells = [f"2025年{_cell(row.value_2025, row.unit)}", f"2030年{_cell(row.value_2030, row.unit)}"]
            cells.append(f"年均增长/累计{_cell(row.growth, row.unit)}")
            notes = [FLAG_NOTES[f] for f in row.flags]
            parts.append(
                f"{row.display_name}{unit}：{'，'.join(cells)}，属性为{row.attribute}"
                + (f"（注：{'；'.join(notes)}）" if notes else "")
            )
            citations.append(Citation("box1", box.path, _row_quote(row)))
            for flag in row.flags:
                note = _note_paragraph(box, flag)
                if note:
                    citations.append(Citation("box1", box.path, note))
            asks_2025 = 2025 in q.years and 2030 not in q.years
            target = row.value_2025 if asks_2025 else row.value_2030
            wants_value = bool(q.unit or "多少" in q.text) and not q.asks_attribute
            missing = target.empty or target.text_only
            # a year asked explicitly must have its own cell; otherwise the growth column may answer
            if wants_value and missing and (q.years or row.growth.empty or row.growth.text_only):
                abstain = True
        text = f"根据{box.cite}：" + "；".join(parts) + "。"
        if abstain:
            text = "规划没有给出这一指标的具体数值。" + text
        return Draft("indicator", abstain, text, tuple(citations), TABLE_YEARS)


# the question asks for a chapter or section, not a sentence: "讲养老的是哪一章哪一节", "在第几章"
_ASKS_PART = re.compile(r"哪[一个]?(?:章节|[章节])|第几[章节]|哪部分|哪一部分")
_PART_WORD = re.compile(r"[一二三四五六七八九十第几哪个]*(?:章节|章|节|部分|专栏)")


def _open_question(q: Question) -> bool:
    """A question with no figure, year or province constraint (answerable by a passage)."""
    return not q.unit and not q.provinces and not any(y not in (2025, 2030) for y in q.years)


def _future(q: Question) -> bool:
    return any(y >= 2026 for y in q.years) or any(
        w in q.text for w in ("目标", "要", "到", "力争", "将", "计划", "十五五", "预计")
    )


def _name_variants(name: str) -> tuple[str, ...]:
    """An indicator's name as printed and as people write it.

    细颗粒物(PM_{2.5})浓度 → 细颗粒物浓度, 细颗粒物pm2.5浓度, pm2.5浓度 (the abbreviation with what follows it,
    the way people name it without the qualifier before it).
    """
    key = match_key(name)
    bare = re.sub(r"\([^)]*\)", "", key)
    alias = re.sub(r"[_{}()]", "", key)
    variants = [key, bare, alias, alias.replace("细颗粒物", "")]
    m = re.search(r"\(([a-z][^)]*)\)(.*)$", key)
    if m:
        variants.append(re.sub(r"[_{}]", "", m.group(1)) + m.group(2))
    return tuple(dict.fromkeys(variants))


def _unit_compatible(asked: str | None, unit: str) -> bool:
    if asked is None or asked == unit:
        return True
    if asked == "%":
        return unit in ("%", "百分点")
    if asked == "money":
        return unit.endswith("元")
    return False


def _overlap(name: str, text: str) -> float:
    """Share of ``name`` covered by its longest substring that occurs in ``text``."""
    best = 0
    for i in range(len(name)):
        for j in range(i + best + 1, len(name) + 1):
            if name[i:j] in text:
                best = j - i
            else:
                break
    return best / len(name)


def _cell(cell: object, unit: str) -> str:
    from .indicators import Cell

    assert isinstance(cell, Cell)
    if cell.empty:
        return "无数值（—）" if cell.raw else "空白"
    if cell.text_only:
        return f"「{cell.raw}」"
    return cell.raw


# The table's column years: an answer naming a cell by its column ("2030年35.7") cites the row,
# not the header row.
TABLE_YEARS = ("2025", "2030")

_NOTE_MARKS = {"national": "★", "data_2024": "*", "cumulative": "[]"}


def _note_paragraph(box: Location, flag: str) -> str | None:
    """The note under 专栏1 that defines a flag (the notes carry e.g. "2024年")."""
    mark = _NOTE_MARKS[flag]
    return next(
        (
            p.text
            for p in box.paragraphs
            if ("\t" not in p.text and mark in p.text and "注" in p.text)
            or ("\t" not in p.text and mark in p.text and p.text.startswith(("①", "②", "③")))
        ),
        None,
    )


def _row_quote(row: IndicatorRow) -> str:
    return re.sub(r"\t+", " ", row.raw).strip()


def _clip(text: str, limit: int = 400) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind("。"), cut.rfind("；"))
    return cut[: end + 1] if end > 0 else cut


def cite_sentences(sentences: list[Sentence]) -> tuple[Citation, ...]:
    """Each sentence as a citation of its location."""
    return tuple(Citation(s.location.id, s.location.path, s.text) for s in sentences)
