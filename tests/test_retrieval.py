"""Retrieval quality on the project's question set (rrf, location level, top 5)."""

from __future__ import annotations

import pytest

from assistant.evaluate import DEFAULT_SET, Question, load_questions
from assistant.facade import Assistant

# rrf location recall@5 over the answerable questions without history: measured 0.981 (154/157;
# misses para-003, para-004, para-009); the floor leaves room for about four more misses.
MIN_RECALL_AT_5 = 0.95

# Questions whose gold location the hybrid search ranks first today, across all answerable types
# (figures, facts, lists, where, paraphrases, indicators, enterprises). Each must stay in the top 5.
PINNED = (
    "fig-001", "fig-004", "fig-009", "fig-015", "fig-024", "fig-030",
    "fact-003", "fact-008", "fact-020", "fact-027", "fact-030", "fact-035",
    "list-001", "list-005", "list-006", "list-016",
    "where-001", "where-005", "where-011", "where-014", "where-019",
    "para-001", "para-005", "para-007", "para-014",
    "ind-001", "ind-011",
    "ent-002", "ent-006", "ent-010",
)  # fmt: skip

QUESTIONS = {q.id: q for q in load_questions(DEFAULT_SET)}


def _top5(assistant: Assistant, q: Question) -> list[str]:
    return [h.location for h in assistant.retriever.search_locations(q.question, k=5, mode="rrf")]


def test_rrf_recall_at_5_floor(assistant: Assistant) -> None:
    items = [q for q in QUESTIONS.values() if q.answerable and q.gold and not q.history]
    misses = [q.id for q in items if not set(q.gold) & set(_top5(assistant, q))]
    recall = 1 - len(misses) / len(items)
    assert recall >= MIN_RECALL_AT_5, f"recall@5 {recall:.3f}; misses: {misses}"


@pytest.mark.parametrize("qid", PINNED)
def test_gold_location_in_top5(assistant: Assistant, qid: str) -> None:
    q = QUESTIONS[qid]
    top5 = _top5(assistant, q)
    assert set(q.gold) & set(top5), f"{qid} {q.question}: gold {q.gold}, got {top5}"
