"""The 目录 tab: pick a chapter, then its intro, a section or a 专栏, and read it."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..errors import AssistantError
from ..facade import Assistant
from .common import Getter, Load, error_html, section_html, warn


def toc_choices(assistant: Assistant) -> list[tuple[str, str]]:
    return [("序言", "preface")] + [(c.heading, f"ch{c.number}") for c in assistant.document.chapters]


def chapter_locations(assistant: Assistant, chapter: str | None) -> list[tuple[str, str]]:
    if not chapter:
        return []
    if chapter == "preface":
        return [("序言", "preface")]
    doc = assistant.document
    number = int(chapter.removeprefix("ch"))
    found = next((c for c in doc.chapters if c.number == number), None)
    if found is None:
        return []
    out = []
    for loc_id in found.locations:
        loc = doc[loc_id]
        label = {"intro": "本章引言", "box": f"└ {loc.heading}"}.get(loc.kind, loc.heading)
        out.append((label, loc.id))
    return out


def build(get: Getter) -> Load:
    """Lay out the 目录 tab in the current Blocks context; returns what it fills in at load."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=260):
            chapter = gr.Dropdown(label="章", choices=[], elem_id="toc-chapter")
            location = gr.Radio(label="引言 / 节 / 专栏", choices=[], elem_id="toc-location")
        with gr.Column(scale=2, min_width=300):
            toc_text = gr.HTML("", elem_id="toc-text", js_on_load=None)

    def pick_chapter(chapter: str | None) -> Any:
        try:
            return gr.update(choices=chapter_locations(get(), chapter), value=None)
        except AssistantError as exc:
            warn(str(exc))
            return gr.skip()

    def read_location(location: str | None) -> str:
        if not location:
            return ""
        try:
            return section_html(get(), location)
        except AssistantError as exc:
            return error_html(exc)

    def on_load() -> dict[Any, Any]:
        try:
            return {chapter: gr.update(choices=toc_choices(get()), value=None)}
        except AssistantError:
            return gr.skip()  # nothing changes (an empty dict would be taken for a value)

    chapter.change(pick_chapter, [chapter], [location], api_visibility="private")
    location.change(read_location, [location], [toc_text], api_visibility="private")
    return Load(on_load, [], [chapter])
