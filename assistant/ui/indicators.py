"""The 指标 tab: 专栏1 as a table, filterable by category and attribute; on a phone each row is a card,
so the 2030 target is readable without sideways scrolling."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..errors import AssistantError
from ..indicators import ATTRIBUTES, CATEGORIES, FLAG_NOTES
from .common import INDICATOR_COLUMNS, Getter, Load, error_html, indicator_rows, indicator_table_html

ALL = "全部"


def build(get: Getter) -> Load:
    """Lay out the 指标 tab in the current Blocks context; returns what it fills in at load."""
    gr.Markdown(
        "**专栏1 “十五五”时期经济社会发展主要指标**：2025年值、2030年目标、年均增长或5年累计、"
        "属性（约束性 / 预期性），可按类别和属性筛选。\n\n"
        "标注：" + "；".join(FLAG_NOTES.values()) + "。",
        elem_id="ind-legend",
    )
    with gr.Row():
        category = gr.Dropdown(
            [ALL, *CATEGORIES], value=ALL, label="类别", elem_id="ind-category", min_width=160
        )
        attribute = gr.Dropdown(
            [ALL, *ATTRIBUTES], value=ALL, label="属性", elem_id="ind-attribute", min_width=160
        )
    table = gr.HTML("", elem_id="ind-table")

    def rows(category: str | None, attribute: str | None) -> list[list[str]]:
        pick = {None: "", ALL: ""}
        return indicator_rows(get(), pick.get(category, category or ""), pick.get(attribute, attribute or ""))

    def show(category: str | None, attribute: str | None) -> str:
        try:
            return indicator_table_html(get(), rows(category, attribute))
        except AssistantError as exc:
            return error_html(exc)

    def indicators(category: str = ALL, attribute: str = ALL) -> dict[str, Any]:
        """专栏1's rows as {"headers", "data"}, filtered by 类别 and 属性 (全部 = no filter)."""
        return {"headers": INDICATOR_COLUMNS, "data": rows(category, attribute)}

    category.change(show, [category, attribute], [table], api_visibility="private")
    attribute.change(show, [category, attribute], [table], api_visibility="private")
    gr.api(indicators, api_name="indicators")
    return Load(lambda: {table: show(ALL, ALL)}, [], [table])
