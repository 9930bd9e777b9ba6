"""The subjects a question names: its runs of subject words, and the lists they make.

Shared by reading a question (intent: "A和B的目标是多少" names two things), by the plan model
(a pronoun stands for the subject of the question before) and by the composers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..query import FILLER
from ..tokens import STOPWORDS
from .lexicon import lexicon

if TYPE_CHECKING:
    from .model import PlanModel

__all__ = ["JOINS", "enumeration", "joined", "subject_runs"]

_YEAR = re.compile(r"\d{4}\s*年(?:底|末)?")
_COUNTED = re.compile(r"[一二两三四五六七八九十几多百千万]+[个项类条家种大批]?")
JOINS = ("和", "与", "及", "以及", "、", "跟")  # "民营经济和民营企业": both are asked about


def subject_runs(text: str, model: PlanModel) -> list[tuple[list[str], str]]:
    """The question's runs of adjacent subject words, each with the words between it and the next.

    jieba's precise cut of the question (years taken out first: 2030年老旧 is no 年老); a run
    breaks at a particle, a framing word (有哪些安排), a filler or punctuation, so
    "大连金普新区在这个规划里…" gives the run 大连·金普·新区 and "老旧小区改造、完整社区建设和
    地下老旧管网改造的目标" the runs 老旧·小区·改造 (then 、), 完整·社区 (then 建设和) and so on.
    """
    lex = lexicon()
    frame = (*lex.about, *lex.list, *lex.outline, *lex.targets)
    runs: list[tuple[list[str], str]] = []
    run: list[str] = []
    gap = ""
    for word in model.tokenizer.words(_YEAR.sub("，", text)):
        content = (
            word not in STOPWORDS
            and word not in FILLER
            and word not in JOINS
            and not any(word in w for w in frame)
            and re.fullmatch(r"[\u4e00-\u9fffa-z0-9]+", word) is not None
            and not word.isdigit()
            and not _COUNTED.fullmatch(word)  # 两个, 三项: how many, not what
        )
        if not content:
            gap += word
            continue
        if run and gap:
            runs.append((run, gap))
            run = []
        gap = ""
        run.append(word)
    if run:
        runs.append((run, gap))
    return runs


def joined(gap: str) -> bool:
    """The words between two subjects join them into a list ("、", "和", "，以及", "建设和")."""
    # "…项目库，规划里和地震…": naming the plan starts what is asked, it joins nothing to it
    return any(j in gap for j in JOINS) and not re.search(r"[?？。；;:：!！]|规划|纲要", gap)


def enumeration(text: str, model: PlanModel) -> list[list[str]]:
    """The longest list of subjects the question names one after another ("A、B和C"), each as its
    words; empty when it names fewer than two."""
    best: list[list[str]] = []
    current: list[list[str]] = []
    for words, gap in subject_runs(text, model):
        current.append(words)
        if not joined(gap):
            best = current if len(current) > len(best) else best
            current = []
    best = current if len(current) > len(best) else best
    return best if len(best) >= 2 else []
