"""The 企业政策匹配 tab: an enterprise's profile → the plan's clauses that apply, each with its source chip,
the reasons it matched, and Markdown/CSV downloads. (The matching itself is :mod:`assistant.policy`.)"""

from __future__ import annotations

import html
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from ..answers import Citation
from ..errors import AssistantError, InputError
from ..policy import CITIES, TARGETS_HEADING, TRAITS, Clause, PolicyReport, Profile, to_csv, to_markdown
from .common import Getter, Load, chip_button, empty_html, error_html, section_html, static_text, warn

POLICY_EMPTY = empty_html(
    "选择所属行业（或填写企业简介），可再选城市和企业类型，点击“匹配”："
    "这里按章列出规划中与企业相关的条款，每条注明出处和匹配理由。"
)
POLICY_PANEL_EMPTY = empty_html("点击条款下方的出处标签，在这里查看原文（条款高亮显示）。")
ANY_CITY = "不限"
POLICY_K = 20
REASON_CLASSES = {
    "行业": "industry",
    "业务": "business",
    "城市": "city",
    "类型": "type",
    "描述": "meaning",  # a statement of the company's description the clause answers
    "语义": "meaning",
}


def _reasons_html(reasons: tuple[str, ...]) -> str:
    tags = []
    for r in reasons or ("语义:相近",):
        kind, _, term = r.partition(":")
        cls = REASON_CLASSES.get(kind, "meaning")
        tags.append(f'<span class="reason reason-{cls}">{html.escape(kind)}：{html.escape(term)}</span>')
    return "".join(tags)


def _clause_html(i: int, c: Clause, target: bool = False) -> str:
    cite = Citation(c.location, c.title, c.quote)
    chip = chip_button(i, cite, prefix="policy-chip", label=f"原文 · {c.location}", paragraph=c.paragraph)
    return (
        f'<div class="clause{" target" if target else ""}" data-location="{html.escape(c.location)}">'
        f'<div class="clause-quote">「{html.escape(c.text)}」</div>'
        f'<div class="clause-meta">{chip}<span class="clause-title">{html.escape(c.title)}</span></div>'
        f'<div class="clause-reasons"><span class="reasons-label">匹配理由：</span>'
        f"{_reasons_html(c.reasons)}</div></div>"
    )


def policy_html(report: PolicyReport) -> str:
    """The matching report: the industry's targets, then the clauses by chapter, each with its chip."""
    clauses = [c for _, cs in report.groups for c in cs]
    if not clauses and not report.targets:
        return empty_html("规划中没有找到与该企业明显相关的条款，请换用更具体的行业或业务描述。")
    cluster = f"对应重点产业集群（专栏2）：{'、'.join(report.clusters)}。" if report.clusters else ""
    parts = [
        f'<p class="policy-summary">{html.escape(cluster)}共 {len(clauses)} 条相关条款，'
        f"分布在 {len(report.groups)} 章；点击出处标签查看原文。</p>"
    ]
    n = 0
    sections = [(TARGETS_HEADING, report.targets, True)] + [(h, cs, False) for h, cs in report.groups]
    for heading, items, target in sections:
        if not items:
            continue
        parts.append(f"<h4>{html.escape(heading)}</h4>")
        for c in items:
            parts.append(_clause_html(n, c, target))
            n += 1
    return "".join(parts)


def policy_files(report: PolicyReport) -> tuple[str, str]:
    """The report as Markdown and CSV (UTF-8 with BOM, for Excel) files in a fresh temp folder."""
    folder = Path(tempfile.mkdtemp(prefix="policy-"))
    stem = f"policy-match-{datetime.now():%Y%m%d-%H%M%S}"
    md, csv = folder / f"{stem}.md", folder / f"{stem}.csv"
    md.write_text(to_markdown(report), encoding="utf-8")
    csv.write_text("\ufeff" + to_csv(report), encoding="utf-8")
    return str(md), str(csv)


def build(get: Getter) -> Load:
    """Lay out the 企业政策匹配 tab in the current Blocks context; returns what it fills in at load."""
    with gr.Row(equal_height=False, elem_id="policy-row"):
        with gr.Column(scale=3, min_width=320, elem_id="policy-col"):
            with gr.Row(elem_id="policy-form"):
                industry = gr.Dropdown(
                    [],
                    value=None,
                    label="所属行业（专栏2 的22个重点产业集群，也可直接输入）",
                    allow_custom_value=True,
                    filterable=True,
                    elem_id="policy-industry",
                    scale=3,
                    min_width=220,
                )
                city = gr.Dropdown(
                    [ANY_CITY, *CITIES],
                    value=ANY_CITY,
                    label="所在城市",
                    elem_id="policy-city",
                    scale=1,
                    min_width=120,
                )
            traits = gr.CheckboxGroup(list(TRAITS), label="企业类型（可多选）", elem_id="policy-traits")
            description = gr.Textbox(
                label="企业简介（主营业务、产品、技术，可选）",
                placeholder="例如：为大连的总装船厂配套LNG船液货围护系统绝缘箱和船用甲板机械。",
                lines=2,
                max_lines=6,
                max_length=1000,
                elem_id="policy-description",
            )
            with gr.Row(elem_id="policy-downloads"):
                match_btn = gr.Button("匹配", variant="primary", elem_id="policy-match-btn", scale=2)
                md_file = gr.DownloadButton(
                    "下载 Markdown", interactive=False, elem_id="policy-md", size="md", scale=1
                )
                csv_file = gr.DownloadButton(
                    "下载 CSV", interactive=False, elem_id="policy-csv", size="md", scale=1
                )
            report_html = gr.HTML(
                POLICY_EMPTY, elem_id="policy-report", js_on_load=static_text("policy_chips.js")
            )
        with gr.Column(scale=2, min_width=300, elem_id="policy-side"):
            policy_panel = gr.HTML(POLICY_PANEL_EMPTY, elem_id="policy-panel", js_on_load=None)

    def match_policy(
        industry: str | None, city: str | None, traits: list[str], description: str
    ) -> tuple[Any, ...]:
        """Match an enterprise; outputs: report, Markdown download, CSV download, side panel."""
        profile = Profile(
            (industry or "").strip(),
            "" if city in (None, ANY_CITY) else str(city),
            tuple(traits or ()),
            (description or "").strip(),
        )
        try:
            report = get().match(profile, POLICY_K)
        except InputError as exc:
            warn(str(exc))
            return (gr.skip(),) * 4
        except AssistantError as exc:
            return error_html(exc), gr.skip(), gr.skip(), gr.skip()
        md, csv = policy_files(report)
        return (
            policy_html(report),
            gr.update(value=md, interactive=True),
            gr.update(value=csv, interactive=True),
            POLICY_PANEL_EMPTY,
        )

    def open_policy_citation(evt: gr.EventData) -> str:
        """A chip in the policy report: show its location with the clause highlighted."""
        location, quote = str(getattr(evt, "location", "")), str(getattr(evt, "quote", ""))
        if not location:
            return POLICY_PANEL_EMPTY
        try:
            paragraph = int(getattr(evt, "paragraph", -1))
        except (TypeError, ValueError):
            paragraph = -1
        try:
            return section_html(get(), location, quote or None, paragraph)
        except AssistantError as exc:
            return error_html(exc)

    def on_load() -> dict[Any, Any]:
        try:
            return {industry: gr.update(choices=list(get().matcher.cluster_names))}
        except AssistantError:
            return gr.skip()  # nothing changes (an empty dict would be taken for a value)

    policy_inputs = [industry, city, traits, description]
    policy_outputs = [report_html, md_file, csv_file, policy_panel]
    match_btn.click(match_policy, policy_inputs, policy_outputs, api_name="match_policy")
    report_html.click(
        open_policy_citation, None, [policy_panel], api_visibility="private", show_progress="hidden"
    ).then(None, js="() => window.planUI && window.planUI.policyMark()")
    return Load(on_load, [], [industry])
