"""The Gradio UI (Chinese): 问答 with citations by location and a source panel, 目录, 指标, 企业政策匹配.

One module per tab (:mod:`.qa`, :mod:`.toc`, :mod:`.indicators`, :mod:`.policy`), shared HTML in
:mod:`.common`, CSS and JavaScript as files under ``static/``. :func:`build_ui` only builds the Blocks;
``app.py`` mounts it on the FastAPI app with :func:`mount_options` (theme, CSS, the page script and
Gradio's own localisation of its built-in labels). The assistant may be given directly or as a provider
(it loads in the app's lifespan), so every handler asks the provider and says so while it is loading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
from starlette.datastructures import Headers

from ..auth import is_loopback
from ..feedback import FeedbackStore
from . import indicators, policy, qa, toc
from .common import STATIC, AssistantSource, provider, section_html, static_text
from .policy import policy_html

ExportCheck = Callable[[Headers, str | None], bool]
TITLE = "辽宁省“十五五”规划纲要问答助手"
SUBTITLE = "回答只摘引规划原文，并注明所在章、节或专栏；点击出处标签可查看原文。"
CSS_PATH = STATIC / "ui.css"

# Gradio's built-in labels by its own i18n keys. The page is Chinese whatever the browser's language,
# so English-language browsers get the same labels. (Labels Gradio hard-codes in English are
# translated by static/ui.js.)
_BUILTIN_ZH: dict[str, Any] = {
    "chatbot": {
        "copy_message": "复制回答",
        "copied_message": "已复制",
        "like": "有帮助",
        "dislike": "没有帮助",
        "retry": "重新生成",
        "undo": "撤销",
        "edit": "编辑",
        "submit": "提交",
        "cancel": "取消",
        "clear": "清空对话",
        "complete": "完成",
    },
    "common": {
        "clear": "清除",
        "download": "下载",
        "edit": "编辑",
        "empty": "空",
        "error": "错误",
        "loading": "加载中",
        "remove": "移除",
        "share": "分享",
        "submit": "提交",
        "undo": "撤销",
        "settings": "设置",
        "language": "语言",
        "built_with_gradio": "使用 Gradio 构建",
    },
    "errors": {"use_via_api": "通过 API 使用", "use_via_api_or_mcp": "通过 API 或 MCP 使用"},
    "dropdown": {"dropdown": "下拉菜单"},
    "checkbox": {"checkbox": "复选框", "checkbox_group": "复选框组"},
    "file": {"uploading": "正在上传……"},
}
I18N = gr.I18n(**{"zh-CN": _BUILTIN_ZH, "zh": _BUILTIN_ZH, "en": _BUILTIN_ZH})


def theme() -> gr.themes.Base:
    """Local fonts only (no web-font download), readable Chinese, placeholders and notes at ≥ 4.5:1 in
    the light theme and the dark one (the same colours as static/ui.css's palette)."""
    return gr.themes.Soft(
        primary_hue="blue",
        font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"],
    ).set(
        body_text_color_subdued="#4b5563",
        body_text_color_subdued_dark="#b0b8c4",
        input_placeholder_color="#5b6472",
        input_placeholder_color_dark="#b0b8c4",
        block_label_text_color="*primary_700",  # the Soft theme's primary_500 on primary_100 is 3:1
        block_title_text_color="*primary_700",
    )


def head() -> str:
    """The page script (localisation of hard-coded labels, clean copy, scrolling), inlined in <head>."""
    return f"<script>\n{static_text('ui.js')}\n</script>"


def mount_options() -> dict[str, Any]:
    """Keyword arguments for ``gr.mount_gradio_app`` (or ``launch``): theme, CSS, head, localisation."""
    return {"theme": theme(), "css_paths": [CSS_PATH], "head": head(), "i18n": I18N}


def _loopback_only(headers: Headers, client: str | None) -> bool:
    return is_loopback(client)


def build_ui(
    assistant: AssistantSource, feedback: FeedbackStore | None = None, can_export: ExportCheck | None = None
) -> gr.Blocks:
    """Build the Blocks (launches nothing). ``assistant`` may be a provider called per event.

    ``can_export(headers, client address)`` decides who sees and may use 导出全部反馈 (every user's
    questions and comments): the app passes the admin-scope check; by default only this machine.
    """
    get = provider(assistant)
    export_check = can_export or _loopback_only

    def may_export(request: gr.Request | None) -> bool:
        if request is None:
            return False
        headers = Headers(headers={k.lower(): v for k, v in dict(request.headers).items()})
        client = request.client.host if request.client else None
        return export_check(headers, client)

    def store() -> FeedbackStore:
        return feedback if feedback is not None else FeedbackStore(get().settings.data_dir)

    with gr.Blocks(title="规划纲要问答助手", analytics_enabled=False) as demo:
        gr.HTML(
            f'<header id="app-title"><h1>{TITLE}</h1><p class="subtitle">{SUBTITLE}</p></header>',
            padding=False,
        )
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("问答", id="qa", elem_id="tab-qa"):
                chat = qa.build(get, store, may_export)
            with gr.Tab("目录", id="toc", elem_id="tab-toc"):
                toc_load = toc.build(get)
            with gr.Tab("指标", id="indicators", elem_id="tab-indicators"):
                ind_load = indicators.build(get)
            with gr.Tab("企业政策匹配", id="policy", elem_id="tab-policy"):
                policy_load = policy.build(get)
        for load in (chat.load, toc_load, ind_load, policy_load):
            demo.load(load.fn, load.inputs, load.outputs, api_visibility="private", show_progress="hidden")
    demo.queue(default_concurrency_limit=8)
    return demo


__all__ = ["CSS_PATH", "I18N", "build_ui", "head", "mount_options", "policy_html", "section_html", "theme"]
