"""专栏1 as a table: filters by attribute and category, and changes computed from its cells.

"专栏1里哪些指标是约束性的？", "绿色低碳类指标有哪些？" list the matching rows with their 2030
values; "X从2025年到2030年提高多少/能否翻番" computes the change from the two cells and shows it
marked as computed, next to the quoted figures.
"""

from __future__ import annotations

import re

from ...extractive import TABLE_YEARS, _row_quote
from ...indicators import ATTRIBUTES, CATEGORIES, IndicatorRow
from ..intent import Request
from .common import Context, Draft, cite, numbered

_CHANGE = re.compile(r"提高|增加|增长|提升|下降|减少|降低|差|变化|翻番|翻一番|倍")


def _value(row: IndicatorRow) -> str:
    """The row's 2030 cell, or its growth column when the table states the target as a rate."""
    if not row.value_2030.empty:
        return f"2030年{row.value_2030.raw}"
    if not row.growth.empty:
        return f"年均增长/累计{row.growth.raw}"
    return "2030年无具体数值（—）"


def table(req: Request, ctx: Context) -> Draft | None:
    rows = list(ctx.model.doc.indicators)
    attribute = next((a for a in ATTRIBUTES if a in req.text), None)
    category = next((c for c in CATEGORIES if c in req.text), None)
    if attribute:
        rows = [r for r in rows if r.attribute == attribute]
    if category:
        rows = [r for r in rows if r.category == category]
    if not (attribute or category) or not rows:
        return None
    box = ctx.model.doc["box1"]
    scope = "、".join(
        x for x in (f"{category}类" if category else "", f"{attribute}" if attribute else "") if x
    )
    lines = [
        f"{r.display_name}"
        + (f"（{r.unit}）" if r.unit else "")
        + f"：{_value(r)}"
        + ("" if attribute else f"，{r.attribute}")
        for r in rows
    ]
    text = f"专栏1主要指标表中{scope}指标共{len(rows)}项：\n" + numbered(lines)
    citations = tuple(cite(box, _row_quote(r)) for r in rows)
    return Draft("indicator", False, text, citations, (str(len(rows)), *TABLE_YEARS))


def change(req: Request, rows: list[IndicatorRow]) -> tuple[str, tuple[str, ...]] | None:
    """A sentence computing the 2025 → 2030 change of each row (None when not asked or not numeric)."""
    if not _CHANGE.search(req.text):
        return None
    parts: list[str] = []
    computed: list[str] = []
    for r in rows:
        a, b = r.value_2025.value, r.value_2030.value
        if a is None or b is None or a == 0:
            continue
        diff = round(b - a, 2)
        ratio = round(b / a, 2)
        unit = "个百分点" if r.unit == "%" else r.unit
        verdict = "，达到翻番" if ratio >= 2 else "，未达到翻番" if "翻" in req.text else ""
        diff_text = f"{diff:g}{unit}"
        # a rate's ratio ("城镇化率为2025年的1倍") says nothing, unless a multiple is asked
        times = r.unit != "%" or bool(re.search(r"倍|翻", req.text))
        parts.append(
            f"{r.display_name}由{r.value_2025.raw}到{r.value_2030.raw}，{'增加' if diff >= 0 else '减少'}"
            f"{diff_text.lstrip('-')}" + (f"，为2025年的{ratio:g}倍" if times else "") + verdict
        )
        computed += [f"{abs(diff):g}", *([f"{ratio:g}"] if times else []), *TABLE_YEARS]
    if not parts:
        return None
    return "（计算值，据表中数值）" + "；".join(parts) + "。", tuple(computed)
