"""A question as the plan would write it: one script, one width, one way to name a place.

Applied to the asker's words before anything else reads them (never to quotes, which are always
cut from the plan as printed):

1. NFKC: full-width digits, letters and punctuation become half-width (２０３０ → 2030);
2. traditional → simplified script with OpenCC (遼寧的森林覆蓋率 → 辽宁的森林覆盖率);
3. places named with mixed or colloquial numerals become the plan's own form
   (第十4章 → 第十四章, 第廿章 → 第二十章, 第二十七个专栏 / 专栏二十七 → 专栏27);
4. same-sound typos are corrected against the plan's vocabulary: a stretch of the question that
   never occurs in the plan but sounds exactly like one of the plan's words becomes that word
   (森林复盖率 → 森林覆盖率, 绿色低炭 → 绿色低碳);
5. abbreviations the plan does not use become its own names (GDP → 地区生产总值).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from opencc import OpenCC

from ..normalize import cn_to_int, int_to_cn
from .lexicon import lexicon

_NUMERAL = r"[〇零一二两三四五六七八九十百廿卅\d]+"
_CHAPTER_OR_SECTION = re.compile(rf"第\s*({_NUMERAL})\s*个?\s*(章|节)")
_BOX_ORDINAL = re.compile(rf"第\s*({_NUMERAL})\s*个\s*专栏")
_BOX = re.compile(rf"专栏\s*({_NUMERAL})")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
# typo windows: long enough to be a word of the plan, short enough to be one word. Two
# characters are corrected more strictly (see Vocabulary.correct): everyday pairs the plan never
# uses (具体, 同一) sound like its words.
_WINDOWS = (6, 5, 4, 3, 2)
_PAIR = 2
_NUMERAL_CHAR = re.compile(r"[第〇零一二两三四五六七八九十百千万廿]")
_SHORT = (3, 4, 5)  # lengths of a short form (长护险, 电信诈骗); two characters are too ambiguous


@cache
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def parse_numeral(text: str) -> int | None:
    """Read 14, 十四, 十4, 廿, 二十七, 一百 as an integer (None when it is not a numeral)."""
    text = text.replace("廿", "二十").replace("卅", "三十")
    # digits mixed into a Chinese numeral (十4) are read as Chinese digits
    text = "".join("零一二三四五六七八九"[int(c)] if c.isdigit() and not text.isdigit() else c for c in text)
    try:
        return cn_to_int(text)
    except ValueError:
        return None


def _places(text: str) -> str:
    def chapter_or_section(m: re.Match[str]) -> str:
        n = parse_numeral(m.group(1))
        return f"第{int_to_cn(n)}{m.group(2)}" if n and 0 < n < 100 else m.group(0)

    def box(m: re.Match[str]) -> str:
        n = parse_numeral(m.group(1))
        return f"专栏{n}" if n else m.group(0)

    text = _BOX_ORDINAL.sub(box, text)
    text = _CHAPTER_OR_SECTION.sub(chapter_or_section, text)
    return _BOX.sub(box, text)


# conjunctions and prepositions that stand before a word of their own: never the first character of a slip
_JOINING = frozenset("和与及或跟同在对把给")


def _syllables(text: str) -> list[str]:
    """One syllable per character, without tones. pypinyin is imported here, on first use: its
    phrase dictionary takes about 0.2 s to import, which the server's start need not wait for."""
    from pypinyin import lazy_pinyin

    return lazy_pinyin(text)


def pinyin_key(word: str) -> str:
    return " ".join(_syllables(word))


def _tones(word: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True)


# What :func:`sound_tables` computes; bump when it would compute something else (other windows,
# another reading of a word): the index stores the tables and is rebuilt when this changes.
VOCABULARY_VERSION = "1"
SoundTables = dict[str, dict[str, list[str]]]


def sound_tables(words: Iterable[str]) -> SoundTables:
    """The plan's words as typo correction looks them up: by sound (the words a typo window can be,
    ``pinyin_key``) and by first character (the longer words a short form can stand for).

    Reading some 7,000 words with pypinyin takes about half a second, so this is computed when the
    index is built and stored with it, not at every start."""
    by_sound: dict[str, list[str]] = {}
    by_initial: dict[str, list[str]] = {}
    for w in sorted(set(words)):
        if not re.fullmatch(r"[\u4e00-\u9fff]+", w):
            continue
        if len(w) in _WINDOWS:
            by_sound.setdefault(pinyin_key(w), []).append(w)
        if _SHORT[0] < len(w) <= 2 * _SHORT[-1]:
            by_initial.setdefault(w[0], []).append(w)
    return {"by_sound": by_sound, "by_initial": by_initial}


@dataclass(frozen=True)
class Vocabulary:
    """The plan's words by sound, and its text, for typo correction."""

    plan_text: str  # the plan, NFKC, whitespace removed
    by_sound: dict[str, tuple[str, ...]]
    # is this pair an everyday word (in jieba's general dictionary)? Such a pair is what the asker
    # meant, even when the plan never uses it; only a pair that is no word at all is a typo
    is_word: Callable[[str], bool] = lambda _w: True

    # the plan's longer words by their first character, for short forms (长护险 → 长期护理保险)
    by_initial: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cut: Callable[[str], list[str]] = lambda text: [text]  # the question's words

    @classmethod
    def from_tables(
        cls,
        plan_text: str,
        tables: SoundTables,
        is_word: Callable[[str], bool] = lambda _w: True,
        cut: Callable[[str], list[str]] = lambda text: [text],
    ) -> Vocabulary:
        """The vocabulary from :func:`sound_tables` (stored with the index, ``vocabulary.json``)."""
        return cls(
            plan_text,
            {k: tuple(v) for k, v in tables["by_sound"].items()},
            is_word,
            {k: tuple(v) for k, v in tables["by_initial"].items()},
            cut,
        )

    def expand_short_forms(self, text: str) -> str:
        """Words of the question the plan never writes that are a short form of exactly one of its
        terms: the term's characters kept in order, first and last among them (长护险 → 长期护理
        保险, 普惠园 → 普惠性幼儿园), as Chinese abbreviations are made. Only single words
        (jieba's cut): stretches of several words read as phrases and would be "expanded" into
        anything the plan writes between them (十五五 → 十五个五年)."""
        out = text
        for word in dict.fromkeys(self.cut(text)):
            # a numeral or ordinal (第五个) is no abbreviation
            if (
                len(word) in _SHORT
                and re.fullmatch(r"[\u4e00-\u9fff]+", word)
                and not _NUMERAL_CHAR.search(word)
                and not any(c in _JOINING for c in word)  # 率和营 is two words joined, no short form
            ):
                full = self._full_form(word)
                if full is not None:
                    out = out.replace(word, full)
        return out

    def _full_form(self, short: str) -> str | None:
        if short in self.plan_text:
            return None
        gap = f"[\u4e00-\u9fff]{{0,{len(short)}}}?"
        pattern = re.compile("(?=(" + gap.join(map(re.escape, short)) + "))")
        options = {m.group(1) for m in pattern.finditer(self.plan_text) if len(m.group(1)) <= 2 * len(short)}
        return options.pop() if len(options) == 1 else None

    def _options(self, window: str, sounds: list[str], left: str, right: str) -> list[str]:
        """The plan words ``window`` is a typo of: same sound, few characters changed.

        A pair is often a chance meeting of two words (和本溪 holds 和本, which sounds like 河本),
        so a pair must be no word at all nor half of one with a neighbour (五个方面 holds 个方), sound
        alike to the tone, and the fix must make the pair read on with a neighbouring character as
        the plan writes it while the original did not (老就小区 → 老旧小区: 旧小 is the plan's)."""
        sounds_like = self.by_sound.get(" ".join(sounds), ())
        if not sounds_like or window in self.plan_text:
            return []
        options = [w for w in sounds_like if w != window and _close(w, window)]
        near, far = left[-1:], right[:1]
        if (near and self.is_word(near + window[0])) or (far and self.is_word(window[-1] + far)):
            return []  # the stretch cuts a word of the question in two: 五个|方面, 所有|指令
        if window[0] in _JOINING:
            return []  # "CAE和工业控制软件": a conjunction before a word, not a slip of 核工业
        if len(window) == _PAIR:
            if any(g in self.plan_text for g in (left + window, window + right) if len(g) > _PAIR):
                return []
            # an everyday word (儿童进士) is a typo only when the fix reads on for two characters as the
            # plan writes it (儿童近视); a pair that is no word needs one (老就小区 → 旧小)
            reach = 2 if self.is_word(window) else 1
            if reach == 2:  # a whole word misheard (进士 for 近视): both characters may differ
                options = [w for w in sounds_like if w != window]
            options = [
                w
                for w in options
                if _tones(w) == _tones(window)
                and any(
                    g in self.plan_text
                    for g in (left[-reach:] + w, w + right[:reach])
                    if len(g) >= _PAIR + reach
                )
            ]
        return options

    def correct(self, text: str) -> str:
        """Replace stretches absent from the plan that sound like exactly one plan word."""
        out = text
        fixes: dict[str, str] = {}
        for run in _HAN_RUN.finditer(text):
            segment = run.group(0)
            fixed, sounds = segment, _syllables(segment)  # one syllable per character
            for size in _WINDOWS:
                i = 0
                while i + size <= len(fixed):
                    window = fixed[i : i + size]
                    left, right = fixed[max(0, i - 2) : i], fixed[i + size : i + size + 2]
                    options = self._options(window, sounds[i : i + size], left, right)
                    if len(options) == 1:
                        fixes.update([_slip(window, options[0])])
                        fixed = fixed[:i] + options[0] + fixed[i + size :]
                        i += size
                        continue
                    i += 1
            if fixed != segment:
                out = out.replace(segment, fixed, 1)
        # the same slip made twice is the same word ("便宜点的拖育 普惠拖育": the second reads on as
        # the plan writes it, so both are 托育)
        for wrong, right in fixes.items():
            out = out.replace(wrong, right)
        return out

    def expand_abbreviations(self, text: str) -> str:
        """GDP → 地区生产总值, except where the plan itself writes the abbreviation (单位GDP能耗)."""
        for short, full in lexicon().abbreviations.items():
            at = text.find(short)
            while at >= 0:
                window = text[max(0, at - 2) : at + len(short) + 2]
                inside_full = any(
                    text[i : i + len(full)] == full for i in range(max(0, at - len(full)), at + 1)
                )  # 城镇调查失业率 already says it in full
                if inside_full or re.sub(r"\s+", "", window).lower() in self.plan_text:
                    at = text.find(short, at + len(short))
                    continue
                text = text[:at] + full + text[at + len(short) :]
                at = text.find(short, at + len(full))
        return text


def _slip(wrong: str, right: str) -> tuple[str, str]:
    """The word a correction changed, at least two characters (普惠拖育 → 普惠托育: 拖育 → 托育)."""
    while len(wrong) > _PAIR and wrong[0] == right[0]:
        wrong, right = wrong[1:], right[1:]
    while len(wrong) > _PAIR and wrong[-1] == right[-1]:
        wrong, right = wrong[:-1], right[:-1]
    return wrong, right


def _in_order(short: str, word: str) -> bool:
    """Every character of ``short`` occurs in ``word``, in the same order."""
    rest = iter(word)
    return all(c in rest for c in short)


def _close(a: str, b: str) -> bool:
    """A typo changes few characters: at most a third of them (one in three or four)."""
    return sum(x != y for x, y in zip(a, b, strict=True)) <= max(1, len(a) // 3)


def normalize_question(text: str, vocabulary: Vocabulary | None = None) -> str:
    """The question in simplified script, half-width, with places in the plan's form and typos fixed."""
    text = unicodedata.normalize("NFKC", text)
    text = _t2s().convert(text)
    text = _places(text)
    if vocabulary is not None:
        text = vocabulary.correct(text)
        text = vocabulary.expand_short_forms(text)
        text = vocabulary.expand_abbreviations(text)
    return text
