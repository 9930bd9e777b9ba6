"""专栏1, the main-indicator table, parsed into typed rows.

Columns: 指标 | 2025年 | 2030年 | 年均增长/累计 | 属性. The notes under the table define the flags:
``[ ]`` a five-year cumulative figure, ``*`` 2024 data, ``★`` set by reference to the national plan,
``—`` empty. One merged cell (每千人口拥有医护人员数) spans two sub-rows; the second starts with a tab.
Every cell keeps its printed text (``raw``) next to the parsed value, so nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import CorpusError

CATEGORIES = ("经济发展", "创新驱动", "民生福祉", "绿色低碳", "安全保障")
ATTRIBUTES = ("约束性", "预期性")
_UNIT_RE = re.compile(r"[（(]([^（）()]+)[）)]$")
_NUMBER_RE = re.compile(r"^-?\d+(?:\.\d+)?$")

FLAG_NOTES = {
    "national": "★ 参照国家发展规划设置的指标",
    "data_2024": "* 为2024年数据",
    "cumulative": "[ ] 内为5年累计数",
}


@dataclass(frozen=True)
class Cell:
    """One table cell: the printed text and what it means."""

    raw: str
    value: float | None = None
    approx: bool = False  # 左右
    comparator: str | None = None  # ">" as in ">83"
    data_2024: bool = False  # "*"
    cumulative: bool = False  # "[ ]"
    empty: bool = False  # "—" or blank
    text_only: bool = False  # a sentence instead of a number

    @property
    def display(self) -> str:
        return "—" if self.empty else self.raw


def parse_cell(raw: str) -> Cell:
    text = raw.strip()
    if text in ("", "—", "-", "——"):
        return Cell(text, empty=True)
    inner, cumulative = text, False
    if inner.startswith("[") and inner.endswith("]"):
        inner, cumulative = inner[1:-1].strip(), True
    data_2024 = inner.endswith("*")
    inner = inner.rstrip("*").strip()
    approx = inner.endswith("左右")
    inner = inner.removesuffix("左右").strip()
    comparator = inner[0] if inner[:1] in (">", "<", "≥", "≤") else None
    inner = inner.lstrip("><≥≤").strip()
    if _NUMBER_RE.match(inner):
        return Cell(text, float(inner), approx, comparator, data_2024, cumulative)
    return Cell(text, None, approx, comparator, data_2024, cumulative, text_only=True)


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator of 专栏1."""

    id: str
    category: str
    name: str  # without ★ and unit, e.g. "森林覆盖率"
    label: str  # as printed without ★, e.g. "森林覆盖率(%)"
    unit: str
    national: bool
    value_2025: Cell
    value_2030: Cell
    growth: Cell
    attribute: str
    raw: str  # the row as printed (tabs included)
    group: str | None = None  # the merged cell's shared label

    @property
    def flags(self) -> tuple[str, ...]:
        cells = (self.value_2025, self.value_2030, self.growth)
        out = ["national"] if self.national else []
        out += ["data_2024"] if any(c.data_2024 for c in cells) else []
        out += ["cumulative"] if any(c.cumulative for c in cells) else []
        return tuple(out)

    @property
    def full_name(self) -> str:
        return f"{self.group}{self.name}" if self.group else self.name

    @property
    def display_name(self) -> str:
        """The name as a reader writes it: the source's sub-script markup removed (PM_{2.5} → PM2.5)."""
        return re.sub(r"\s*_\{([^}]*)\}", r"\1", self.full_name)


def _split_label(label: str) -> tuple[str, str]:
    m = _UNIT_RE.search(label)
    if not m:
        return label.strip(), ""
    return label[: m.start()].strip(), m.group(1).strip()


def parse_indicator_table(lines: list[str]) -> list[IndicatorRow]:
    """Parse the raw lines of 专栏1 (header copies already removed) into rows."""
    rows: list[IndicatorRow] = []
    category, group, group_national = "", None, False
    for raw in lines:
        if "\t" not in raw:
            continue  # the notes under the table
        cols = raw.rstrip("\n").split("\t")
        while len(cols) > 5 and not cols[-1].strip():
            cols.pop()
        cols = [c.strip() for c in cols]
        if cols[0] == "指标":
            continue  # column header
        if cols[0] and not any(cols[1:]):
            category = cols[0]
            continue
        if len(cols) == 6:  # a merged cell: shared label, then the sub-row's own label
            if cols[0]:
                group_national = cols[0].startswith("★")
                group = re.sub(r"\s+", "", cols[0].lstrip("★"))
            cols = cols[1:]
            national = group_national
        else:
            group, national = None, cols[0].startswith("★")
        if len(cols) < 5:
            raise CorpusError(
                f"专栏1: a table row has {len(cols)} columns instead of 5: {raw.strip()[:60]!r}"
            )
        label = cols[0].lstrip("★").strip()
        name, unit = _split_label(label)
        rows.append(
            IndicatorRow(
                id=f"ind{len(rows) + 1:02d}",
                category=category,
                name=re.sub(r"\s+", "", name),
                label=label,
                unit=unit,
                national=national,
                value_2025=parse_cell(cols[1]),
                value_2030=parse_cell(cols[2]),
                growth=parse_cell(cols[3]),
                attribute=cols[4] if cols[4] in ATTRIBUTES else cols[4] or "",
                raw=raw.strip("\n"),
                group=group if len(cols) == 5 and group else None,
            )
        )
    return rows
