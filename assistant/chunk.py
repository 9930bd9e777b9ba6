"""Chunks: the units that are indexed and retrieved.

One chunk per section, chapter intro, box and the preface; a location longer than the token
budget is split at paragraph boundaries. The title path is part of what BM25 searches, so a
question naming a section's subject finds it even when the body uses other words.
"""

from __future__ import annotations

from dataclasses import dataclass

from .parse import Document, Location, Paragraph
from .tokens import count_tokens

CHUNKER_VERSION = (
    "4"  # bump when chunks or what is embedded change (4: paragraph vectors without titles, title channel)
)


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of one location; ``start``/``end`` are offsets into the corpus."""

    id: str  # "ch14.s2#1"
    location: str  # "ch14.s2"
    title: str  # the full title path, "第十四章 … › 第二节 …"
    text: str  # verbatim paragraphs joined by newlines
    start: int
    end: int
    tokens: int
    search_text: str  # what BM25 sees: title path + text (+ table labels); paragraphs are embedded alone


def _search_text(loc: Location, paragraphs: tuple[Paragraph, ...], doc: Document) -> str:
    body = "\n".join(p.text for p in paragraphs)
    if loc.id == "box1":
        # Spell the table's columns out so "森林覆盖率2030年目标" meets the row's numbers.
        body += "\n" + "\n".join(
            f"{r.category} {r.full_name}（{r.unit}）：2025年 {r.value_2025.display}；"
            f"2030年 {r.value_2030.display}；年均增长/累计 {r.growth.display}；{r.attribute}"
            for r in doc.indicators
        )
    return f"{loc.path}\n{body}"


def _pieces(paragraphs: tuple[Paragraph, ...], budget: int) -> list[tuple[Paragraph, ...]]:
    pieces: list[list[Paragraph]] = [[]]
    for para in paragraphs:
        joined = "\n".join(p.text for p in [*pieces[-1], para])
        if pieces[-1] and count_tokens(joined) > budget:
            pieces.append([])
        pieces[-1].append(para)
    return [tuple(p) for p in pieces if p]


def chunk_document(doc: Document, budget: int = 350) -> list[Chunk]:
    chunks: list[Chunk] = []
    for loc in doc.locations:
        for n, paragraphs in enumerate(_pieces(loc.paragraphs, budget), start=1):
            text = "\n".join(p.text for p in paragraphs)
            chunks.append(
                Chunk(
                    id=f"{loc.id}#{n}",
                    location=loc.id,
                    title=loc.path,
                    text=text,
                    start=paragraphs[0].start,
                    end=paragraphs[-1].end,
                    tokens=count_tokens(text),
                    search_text=_search_text(loc, paragraphs, doc),
                )
            )
    return chunks
