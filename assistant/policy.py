"""Enterprise policy matching: which clauses of the plan concern this company?

A profile (industry, city, traits, free description) is matched sentence by sentence against the
whole plan. A clause qualifies when it shares the company's industry or business terms (or is
very close to the description in meaning); naming the company's city or one of its traits adds
to its rank. Every clause is a verbatim sentence with its location and the terms it shares, so
the report claims nothing the plan does not say. Targets of the company's 专栏 cluster (营收规模
etc.) are pulled out separately.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field

from .errors import InputError
from .extractive import Dense, Extractor, Sentence
from .feedback import spreadsheet_safe
from .normalize import match_key
from .parse import Document
from .query import PREFECTURES, content_terms
from .tokens import Tokenizer

CITIES = PREFECTURES  # a profile names one of the 14 cities
TRAITS: dict[str, tuple[str, ...]] = {
    "民营": ("民营", "民间投资", "非公"),
    "专精特新": ("专精特新", "小巨人", "单项冠军"),
    "高新技术": ("高新技术企业", "科技型", "高企"),
    "外贸": ("外贸", "出口", "跨境", "进出口"),
    "中小企业": ("中小企业", "中小微", "小微"),
    "国有": ("国有企业", "国企", "国资"),
    "外资": ("外资", "外商"),
    "农业经营主体": ("新型农业经营主体", "合作社", "家庭农场"),
}
_CLUSTER_SPLIT = re.compile(r"\d+[.．]\s*")
_HEADING = re.compile(r"^[（(]?[一二三四五六七八九十\d]+[)）.．、]\s*[^，。；]{0,24}[。；]?$")
TARGETS_HEADING = "所属产业的目标"
_GENERIC = frozenset({"产业", "集群", "产业集群", "发展", "企业", "建设", "推进", "加快"})


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
    quote: str
    score: float
    reasons: tuple[str, ...]  # the profile terms it shares, e.g. ("行业:船舶", "城市:大连"), or "语义:相近"
    paragraph: int = -1  # index in the location's paragraphs (a sentence may recur within a box)


@dataclass(frozen=True)
class PolicyReport:
    profile: Profile
    clusters: tuple[str, ...]  # the 专栏2 clusters the profile belongs to
    groups: tuple[tuple[str, tuple[Clause, ...]], ...]  # (chapter heading, clauses), chapters ranked
    targets: tuple[Clause, ...] = field(default_factory=tuple)

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(sorted((c for _, cs in self.groups for c in cs), key=lambda c: -c.score))


def clusters(doc: Document) -> tuple[str, ...]:
    """The 22 industrial clusters of 专栏2, as printed."""
    names: list[str] = []
    for p in doc["box2"].paragraphs:
        for piece in _CLUSTER_SPLIT.split(p.text):
            name = piece.strip().rstrip("；;。")
            if name.endswith("产业集群"):
                names.append(name)
    return tuple(names)


def _industry_terms(
    industry: str, cluster_names: tuple[str, ...], tokenizer: Tokenizer
) -> tuple[list[str], list[str]]:
    """Terms for an industry, and the clusters it names: 船舶与海工装备产业集群 → 船舶, 海工装备."""
    key = match_key(industry)
    named = [
        c
        for c in cluster_names
        if match_key(c.removesuffix("产业集群")) in key or (key and key in match_key(c))
    ]
    terms: list[str] = []
    for name in named or [industry]:
        core = name.removesuffix("产业集群")
        terms += [t for t in re.split(r"[与和及、]", core) if len(t) >= 2]
        terms.append(core)
    terms += list(content_terms(industry, tokenizer))
    return [t for t in dict.fromkeys(terms) if t not in _GENERIC and len(t) >= 2], named


class PolicyMatcher:
    def __init__(self, document: Document, extractor: Extractor, tokenizer: Tokenizer) -> None:
        self.doc = document
        self.extractor = extractor
        self.tokenizer = tokenizer
        self.cluster_names = clusters(document)

    @staticmethod
    def check(profile: Profile) -> None:
        """Raise :class:`InputError` for a profile without industry and description, or an unknown city or type."""
        if not (profile.industry.strip() or profile.description.strip()):
            raise InputError("请至少填写所属行业或企业简介中的一项。")
        if profile.city and profile.city.removesuffix("市") not in CITIES:
            raise InputError(f"城市须为辽宁省14个地级市之一：{'、'.join(CITIES)}。")
        unknown = [t for t in profile.traits if t not in TRAITS]
        if unknown:
            raise InputError(f"未知的企业类型 {'、'.join(unknown)}：可选 {'、'.join(TRAITS)}。")

    def match(self, profile: Profile, dense: Dense, k: int = 20) -> PolicyReport:
        """The ``k`` best clauses for ``profile`` (``dense``: paragraph similarities to it), by chapter."""
        self.check(profile)
        city = profile.city.removesuffix("市")
        industry_terms, named = _industry_terms(profile.industry, self.cluster_names, self.tokenizer)
        desc_terms = [t for t in content_terms(profile.description, self.tokenizer) if t not in _GENERIC]
        trait_terms = {t: TRAITS[t] for t in dict.fromkeys(profile.traits)}
        dense = calibrated(dense)
        scored: list[Clause] = []
        for sentences in self.extractor.sentences.values():
            for s in sentences:
                clause = self._score(s, industry_terms, desc_terms, city, trait_terms, dense)
                if clause:
                    scored.append(clause)
        scored.sort(key=lambda c: -c.score)
        top = _select(_dedupe(scored), k, tuple(trait_terms))
        targets = tuple(
            c for c in _dedupe(scored) if _is_target(c.quote) and any(r.startswith("行业") for r in c.reasons)
        )[:5]
        groups: dict[str, list[Clause]] = {}
        for c in top:
            groups.setdefault(self.doc[c.location].title_path[0], []).append(c)
        ranked = sorted(groups.items(), key=lambda kv: -max(c.score for c in kv[1]))
        return PolicyReport(profile, tuple(named), tuple((h, tuple(cs)) for h, cs in ranked), targets)

    def _score(
        self,
        s: Sentence,
        industry: list[str],
        description: list[str],
        city: str,
        traits: dict[str, tuple[str, ...]],
        dense: Dense,
    ) -> Clause | None:
        key = s.key
        context = s.lead_key  # a paragraph's opening names the subject of its later sentences
        reasons: list[str] = []
        score = 0.0
        for t in industry:
            tk = match_key(t)
            if tk in key:
                score += 2.0 + 0.1 * len(tk)
                reasons.append(f"行业:{t}")
            elif tk in context:
                score += 1.0
                reasons.append(f"行业:{t}")
        for t in description:
            if match_key(t) in key:
                score += 0.8 * max(self.extractor.idf(t), 0.3) / 3
                reasons.append(f"业务:{t}")
        trait_hits = [t for t, words in traits.items() if any(w in s.text for w in words)]
        relevant = bool(reasons) or bool(trait_hits)
        similarity = dense.get((s.location.id, s.paragraph_index), 0.0)
        if not relevant and similarity < 0.86:
            return None  # shares neither the company's terms nor its type, nor is close in meaning
        if not relevant:
            reasons.append("语义:相近")  # in only for its meaning: say so, so every clause has a reason
        score += max(similarity - 0.8, 0) * 10
        if city and city in s.text and relevant:
            # clauses naming the company's city rank above general ones, but the city alone does
            # not make a clause relevant (大连 + 户外运动目的地 is not about a shipbuilder)
            score += 2.5
            reasons.append(f"城市:{city}")
        for trait in trait_hits:
            score += 1.0
            reasons.append(f"类型:{trait}")
        if _is_target(s.text):
            score += 0.5
        if len(s.text) < 12 or _HEADING.match(s.text):
            return None  # a bare sub-heading or list label is not a clause
        return Clause(
            s.location.id, s.location.path, s.text, round(score, 3), _tidy(reasons), s.paragraph_index
        )


def calibrated(dense: Dense, median: float = 0.80, top: float = 0.90) -> Dense:
    """Similarities mapped so that this query's median paragraph scores ``median`` and its best ``top``.

    The thresholds below (0.86, ``similarity - 0.8``) were set on multilingual-e5 cosines, which sit
    around 0.80 (median) to 0.90 (best); USE cosines spread over 0.1-0.7. Mapping each query's own
    median and best onto the e5 range keeps the thresholds meaningful for any embedder (for e5 it is
    close to the identity). Measured on evals/profiles.jsonl with USE: recall@10 0.769 → 0.811,
    precision@10 0.464 → 0.486, must-quote 0.762 → 0.857 (e5 uncalibrated: 0.825 / 0.493 / 0.833).
    """
    if not dense:
        return dense
    values = sorted(dense.values())
    mid, best = values[len(values) // 2], values[-1]
    span = max(best - mid, 1e-9)
    return {key: median + (top - median) * (s - mid) / span for key, s in dense.items()}


PER_LOCATION = 2


def _select(clauses: list[Clause], k: int, traits: tuple[str, ...]) -> list[Clause]:
    """The best ``k`` clauses, at most two per location, and the best clause for each trait.

    A report that is all one box tells the company less than one that also shows the section that
    names its industry and the measures for its type of firm (民营, 专精特新, 外贸…).
    """
    chosen: list[Clause] = []
    for trait in traits:
        best = next((c for c in clauses if f"类型:{trait}" in c.reasons), None)
        if best and best not in chosen:
            chosen.append(best)
    per_loc: dict[str, int] = {}
    for c in chosen:
        per_loc[c.location] = per_loc.get(c.location, 0) + 1
    for c in clauses:
        if len(chosen) >= k:
            break
        if c in chosen or per_loc.get(c.location, 0) >= PER_LOCATION:
            continue
        chosen.append(c)
        per_loc[c.location] = per_loc.get(c.location, 0) + 1
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
        lines += [f"- {c.quote}（{c.location}｜{c.title}）" for c in report.targets]
    for heading, clauses in report.groups:
        lines += ["", f"## {heading}", ""]
        for c in clauses:
            lines.append(
                f"- 「{c.quote}」 —— {c.title}（{c.location}）；匹配：{text('、'.join(c.reasons)) if c.reasons else '语义相近'}"
            )
    return "\n".join(lines) + "\n"


def to_csv(report: PolicyReport) -> str:
    """One row per clause (the industry's targets first), for a spreadsheet; no BOM."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["chapter", "location", "title", "quote", "score", "reasons"])
    for heading, clauses in ((TARGETS_HEADING, report.targets), *report.groups):
        for c in clauses:
            row = [heading, c.location, c.title, c.quote, c.score, "；".join(c.reasons)]
            writer.writerow([spreadsheet_safe(v) for v in row])
    return buf.getvalue()
