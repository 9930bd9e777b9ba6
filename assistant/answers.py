"""The answer types every layer shares (no LangChain here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Turn:
    role: Role
    content: str


@dataclass(frozen=True)
class Citation:
    """A verified quote: ``quote`` occurs verbatim (whitespace aside) in ``location``."""

    location: str  # "ch14.s2", "box27", "preface"
    title: str  # full title path
    quote: str


@dataclass(frozen=True)
class Answer:
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    query: str  # the standalone question actually searched
    kind: str = "fact"  # figure, list, where, indicator, reference, fact, chitchat
    timings_ms: dict[str, float] = field(default_factory=dict)
    notice: str | None = None  # e.g. "the LLM service failed; this is the offline answer"

    @property
    def cited_locations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.location for c in self.citations))
