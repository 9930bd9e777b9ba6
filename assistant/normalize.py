"""Text normalisation for *matching* only.

Nothing here is ever applied to text shown to users: quotes are always cut from the
corpus as printed. These helpers make comparisons immune to the conversion quirks
(spaces around digits, full/half-width punctuation, Chinese numerals).
"""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")

CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def strip_ws(text: str) -> str:
    """Remove every whitespace character (spaces, tabs, newlines, ideographic space)."""
    return _WS.sub("", text)


def norm(text: str) -> str:
    """Matching key: NFKC (full-width → half-width), no whitespace, lower case."""
    return strip_ws(unicodedata.normalize("NFKC", text)).lower()


def cn_to_int(numeral: str) -> int:
    """Convert a Chinese numeral ("十四", "二十", "二〇三〇") or arabic digits to int.

    Digit-by-digit years (二〇三〇) are read positionally; counting numerals (二十一) with units.
    """
    numeral = numeral.strip()
    if numeral.isdigit():
        return int(numeral)
    if not numeral or any(ch not in CN_DIGITS and ch not in CN_UNITS for ch in numeral):
        raise ValueError(f"not a Chinese numeral: {numeral!r}")
    if not any(ch in CN_UNITS for ch in numeral):
        value = 0
        for ch in numeral:
            value = value * 10 + CN_DIGITS[ch]
        return value
    total, current = 0, 0
    for ch in numeral:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        else:
            total += (current or 1) * CN_UNITS[ch]
            current = 0
    return total + current


def int_to_cn(value: int) -> str:
    """Render 1..99 as a counting Chinese numeral (十四, 二十), as used in headings."""
    if not 0 < value < 100:
        raise ValueError(f"out of range: {value}")
    tens, ones = divmod(value, 10)
    digits = "零一二三四五六七八九"
    out = ""
    if tens:
        out = ("" if tens == 1 else digits[tens]) + "十"
    if ones:
        out += digits[ones]
    return out


_YEAR_CN = re.compile(r"[二〇零一三四五六七八九]{4}年")


def normalize_years(text: str) -> str:
    """Rewrite digit-by-digit Chinese years (二〇三〇年) as arabic (2030年) for matching."""
    return _YEAR_CN.sub(lambda m: f"{cn_to_int(m.group(0)[:-1])}年", text)


def match_key(text: str) -> str:
    """The key used to check that a quote or answer fact occurs in a passage."""
    return norm(normalize_years(text))


def contains(haystack: str, needle: str) -> bool:
    """True when ``needle`` occurs in ``haystack`` once both are reduced to match keys."""
    key = match_key(needle)
    return bool(key) and key in match_key(haystack)


__all__ = [
    "CN_DIGITS",
    "cn_to_int",
    "contains",
    "int_to_cn",
    "match_key",
    "norm",
    "normalize_years",
    "strip_ws",
]
