"""What every composer shares: the context it answers in, and how it cites."""

from __future__ import annotations

from dataclasses import dataclass

from ...answers import Citation
from ...extractive import Dense, Draft, cite_sentences, split_sentences
from ...normalize import match_key
from ...parse import IndicatorRow, Location
from ...retrieve import Hit
from ..model import PlanModel
from ..subjects import JOINS, enumeration, joined, subject_runs

__all__ = [
    "JOINS",
    "Context",
    "Draft",
    "Share",
    "cite",
    "cite_sentences",
    "enumeration",
    "first_sentence_of",
    "indicator_line",
    "indicator_row",
    "joined",
    "name_of",
    "numbered",
    "subject_runs",
]


@dataclass(frozen=True)
class Context:
    model: PlanModel
    hits: tuple[Hit, ...]
    dense: Dense  # (location, paragraph) → similarity to the question
    focus: tuple[str, ...] = ()  # locations the conversation is about

    @property
    def hit_locations(self) -> list[str]:
        return list(dict.fromkeys(h.location for h in self.hits))

    @property
    def hit_rank(self) -> dict[str, int]:
        """Each retrieved location's rank, best first (0)."""
        return {loc: i for i, loc in enumerate(self.hit_locations)}


@dataclass(frozen=True)
class Share:
    """How much of a subject a text covers, its words weighted by how specific they are (idf)."""

    weight: dict[str, float]
    total: float

    @classmethod
    def of(cls, keys: list[str], model: PlanModel) -> Share:
        weight = {k: max(model.extractor.idf(k), 0.1) for k in keys}
        return cls(weight, sum(weight.values()) or 1.0)

    def __call__(self, text: str, lead: str = "") -> float:
        return sum(w for k, w in self.weight.items() if k in text or k in lead) / self.total


def cite(location: Location, quote: str) -> Citation:
    return Citation(location.id, location.path, quote)


def first_sentence_of(location: Location, paragraph: int = 0) -> str:
    if not location.paragraphs:
        return ""
    sentences = split_sentences(location.paragraphs[paragraph].text)
    return sentences[0] if sentences else location.paragraphs[paragraph].text


def name_of(location: Location) -> str:
    """How an answer names a place: 第十四章第二节「…」, 专栏27「…」, 第三章「…」."""
    if location.kind == "intro":
        return location.path.split(" › ")[0]
    return location.cite


def indicator_line(row: IndicatorRow) -> str:
    """A row of 专栏1 as a reader wants it: name (unit): 2025 value, 2030 value, growth, attribute."""
    return (
        row.display_name
        + (f"（{row.unit}）" if row.unit else "")
        + f"：2025年{row.value_2025.display}，2030年{row.value_2030.display}"
        + (f"，年均增长/累计{row.growth.display}" if not row.growth.empty else "")
        + f"，{row.attribute}"
    )


def indicator_row(sentence_key: str, model: PlanModel) -> IndicatorRow | None:
    """The row of 专栏1 a sentence of it is (none for its header and notes)."""
    return next((r for r in model.doc.indicators if match_key(r.raw) == sentence_key), None)


def numbered(lines: list[str]) -> str:
    """A numbered list, one item a line (follow-ups can point at "the third one")."""
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))
