"""Every question set is sound, and the assistant holds its measured level on each of them.

The sets: ``questions.jsonl`` (tuning, written from the plan's sentences), ``holdout.jsonl`` (written
apart from it, now also used for tuning), ``dev.jsonl``, ``dev2.jsonl``, ``dev3.jsonl`` and ``dev4.jsonl``
(written from users' needs, for tuning; dev4 weighted to summaries, structure and structural follow-ups) and
``blind.jsonl`` and ``blind2.jsonl`` (written from users' needs by writers who never saw the code;
measured, never tuned on; blind2 was written late in session 18, after blind had been measured many
times). The floors sit a few points below what was measured; raise them as the assistant
improves, never lower them to make a change pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import ROOT
from assistant.evaluate import Question, check_questions, keys_satisfied, load_questions, states_wrong_figure
from assistant.facade import Assistant
from assistant.normalize import contains

SETS = ROOT / "evals"
# set → (answer accuracy on answerable items, abstention accuracy on unanswerable ones), floors
FLOORS = {
    "questions.jsonl": (0.92, 0.96),  # measured 0.949 (166/175), 1.0 (28/28)
    "holdout.jsonl": (0.88, 0.90),  # measured 0.914 (64/70), 1.0 (10/10)
    "dev.jsonl": (0.76, 0.90),  # measured 0.788 (63/80), 1.0 (10/10)
    "dev2.jsonl": (0.63, 0.85),  # measured 0.657 (67/102), 1.0 (8/8)
    "dev3.jsonl": (0.30, 0.90),  # measured 0.330 (29/88), 1.0 (12/12)
    "dev4.jsonl": (0.85, 0.90),  # measured 0.883 (53/60), 1.0 (10/10)
    "blind.jsonl": (0.70, 0.81),  # measured 0.725 (87/120), 0.875 (14/16)
    "blind2.jsonl": (0.60, 0.81),  # measured 0.630 (58/92) the first time it was run, 0.620 (57/92) now
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_set_is_sound(assistant: Assistant, name: str) -> None:
    questions = load_questions(SETS / name)
    assert len(questions) >= {"blind2.jsonl": 100, "dev4.jsonl": 70}.get(name, 80)
    assert check_questions(questions, assistant.document) == []


# set → most answers allowed to state a wrong figure (assistant.evaluate.wrong_figure), as measured
WRONG_FIGURES = {
    "questions.jsonl": 0,
    "holdout.jsonl": 0,
    "dev.jsonl": 0,
    "dev2.jsonl": 1,
    "dev3.jsonl": 2,  # both metric artifacts: a computed sum key; d3-mt-002 wants "75%左右", the table prints 75左右 (%)
    "dev4.jsonl": 0,
    "blind.jsonl": 7,
    "blind2.jsonl": 6,
}


def _score(assistant: Assistant, questions: list[Question]) -> tuple[float, float, int, list[str]]:
    answered = abstained = wrong = 0
    problems: list[str] = []
    for q in questions:
        a = assistant.ask(q.question, list(q.history))
        keys_ok = (not a.abstained) and keys_satisfied(a.text, q.keys + q.computed)
        wrong += states_wrong_figure(a.text, a.abstained, q.answerable, q.keys, keys_ok)
        for c in a.citations:
            if not contains(assistant.document[c.location].text, c.quote):
                problems.append(f"{q.id}: unverified quote in {c.location}")
        if q.answerable:
            answered += keys_ok
        else:
            abstained += a.abstained
    n_answerable = sum(q.answerable for q in questions)
    return answered / n_answerable, abstained / (len(questions) - n_answerable), wrong, problems


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_each_set_holds_its_floor(assistant: Assistant, name: str) -> None:
    accuracy, abstention, wrong, problems = _score(assistant, load_questions(Path(SETS / name)))
    floor_accuracy, floor_abstention = FLOORS[name]
    assert problems == []
    assert accuracy >= floor_accuracy, f"{name}: answer accuracy {accuracy:.3f} < {floor_accuracy}"
    assert abstention >= floor_abstention, f"{name}: abstention {abstention:.3f} < {floor_abstention}"
    assert wrong <= WRONG_FIGURES[name], f"{name}: {wrong} answers state a wrong figure"
