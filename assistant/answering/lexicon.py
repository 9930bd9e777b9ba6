"""The word lists questions are read with, loaded from ``lexicon.json``.

Every list in the file states its purpose. They are deliberately short: most of the work is done
by the plan's own structure and vocabulary (see :mod:`.model`), not by words listed here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_PATH = Path(__file__).with_name("lexicon.json")


@dataclass(frozen=True)
class Lexicon:
    where: tuple[str, ...]
    outline: tuple[str, ...]
    count: tuple[str, ...]
    title: tuple[str, ...]
    about: tuple[str, ...]
    overview: tuple[str, ...]
    list: tuple[str, ...]
    figure: tuple[str, ...]
    when: tuple[str, ...]
    attribute: tuple[str, ...]
    indicator_table: tuple[str, ...]
    enterprise: tuple[str, ...]
    enterprise_nouns: tuple[str, ...]
    self_description: tuple[str, ...]
    parts: tuple[str, ...]
    targets: tuple[str, ...]
    everyday_terms: dict[str, str]
    ordinals: dict[str, int]
    departments: dict[str, str]
    abbreviations: dict[str, str]
    counties: dict[str, str]


@cache
def lexicon() -> Lexicon:
    raw = json.loads(_PATH.read_text(encoding="utf-8"))
    fields: dict[str, Any] = {k: tuple(v["words"]) for k, v in raw.items() if "words" in v}
    fields |= {k: dict(v["map"]) for k, v in raw.items() if "map" in v}
    return Lexicon(**fields)


def has_any(text: str, words: tuple[str, ...]) -> bool:
    return any(w in text for w in words)


def names_asker(term: str) -> bool:
    """The term is a department's name or part of one (林草局, 交通厅): who asks, not what is asked."""
    return any(d in term or term in d for d in lexicon().departments)


def plan_terms_for(text: str) -> list[str]:
    """The plan's terms for the everyday words and department names in ``text``."""
    lex = lexicon()
    found = [terms for word, terms in {**lex.everyday_terms, **lex.departments}.items() if word in text]
    return [t for terms in found for t in terms.split()]
