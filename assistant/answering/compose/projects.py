"""The projects of the plan about a topic: "和地震、防震减灾直接相关的项目有哪几个？".

The plan's projects are the numbered items of its boxes (专栏25's railways, 专栏39's 工程). A
question asking which projects concern a topic is answered with every box item whose text names
one of the question's topics, counted and cited, across all boxes: a department reporting on its
projects needs them all, wherever the plan lists them. A topic named by too many items to be one
list (交通) is left to the composers that outline a box by its title.
"""

from __future__ import annotations

import re

from ...extractive import split_sentences
from ...normalize import match_key
from ..followup import leans_on_frame
from ..intent import Request
from ..lexicon import names_asker
from ..model import Item
from .about import clip_around
from .common import Context, Draft, cite, enumeration, subject_runs

_ASKED = re.compile(
    r"(哪些|哪几|几个|几项|多少个?)(个|项)?[^，。？?、]{0,6}?(项目|工程)|(项目|工程)(有|是|包括)(哪些|哪几|什么)"
)  # 有哪些重大项目, 有哪些核电项目, 项目有哪几个
_MIN, _MAX = 2, 12  # fewer is no list; more is a box or a chapter, outlined elsewhere
_CLIP = 80  # characters of the words naming the topic inside an item about something else
_SPECIFIC = 4.0  # idf of a topic word specific enough to pick projects by


def _topics(req: Request, ctx: Context) -> list[str]:
    """The topics' keys: each listed topic's words as written, else the question's most specific
    subject word the plan uses (not who asks)."""
    model = ctx.model
    listed = ["".join(words) for words in enumeration(req.text, model)]
    if not listed:
        runs = ["".join(words) for words, _ in subject_runs(req.text, model)]
        listed = [r for r in runs if not names_asker(r)]
    keys = [_in_plan(match_key(t), ctx) for t in listed]
    return [k for k in keys if k and model.extractor.idf(k) >= _SPECIFIC]


def _in_plan(key: str, ctx: Context) -> str:
    """The longest stretch of a topic the plan writes (防震减灾 of 防震减灾直接)."""
    for size in range(len(key), 1, -1):
        for i in range(len(key) - size + 1):
            if key[i : i + size] in ctx.model.plan_key:
                return key[i : i + size]
    return ""


def compose(req: Request, ctx: Context) -> Draft | None:
    if not _ASKED.search(req.text) or leans_on_frame(req.text) or req.q.refs:
        return None  # leaning on the previous question, or in a named place: the projects are that place's
    keys = _topics(req, ctx)
    if not keys:
        return None
    doc = ctx.model.doc
    found: list[Item] = [
        item
        for box in doc.boxes
        if box.id != "box1"
        for item in ctx.model.items(box)
        if any(k in match_key(item.text) for k in keys)
    ]
    if not _MIN <= len(found) <= _MAX:
        return None
    lines: list[str] = []
    citations = []
    for n, item in enumerate(found, start=1):
        head = item.head.rstrip("；;。")
        line = f"{n}. {head}"
        citations.append(cite(doc[item.location], item.head))
        if not any(k in match_key(item.head) for k in keys):
            # an item about something else that names the topic inside (轨道交通装备…氢能等新能源机车):
            # the words that name it, so the reader sees why it is listed
            said = next(s for s in split_sentences(item.text) if any(k in match_key(s) for k in keys))
            key = next(k for k in keys if k in match_key(said))
            clip = clip_around(said, key, _CLIP)
            line += f"：「{clip}」"
            citations.append(cite(doc[item.location], clip))
        lines.append(line + f"（{doc[item.location].cite}）")
    names = "、".join(dict.fromkeys(keys))
    text = f"规划纲要专栏中与「{names}」直接相关的项目共{len(found)}项：\n" + "\n".join(lines)
    return Draft("list", False, text, tuple(citations), (str(len(found)),))
