"""Several topics asked at once: "社会救助、儿童福利、殡葬、社会组织和社工方面的任务列出来".

An official lists the topics of their department and wants what the plan says on each. The
question's enumeration gives the topics; for each, the sentences of the plan that cover its words
(weighted by how specific they are) are ranked — a paragraph whose lead names the topic first,
then the sentence naming the most specific things — and the best ones from different paragraphs
are quoted under the topic, with the paragraph's lead as its label. A topic the plan does not
name is said so, not filled with something else.
"""

from __future__ import annotations

import re

from ...extractive import Sentence
from ...normalize import match_key
from ...tokens import STOPWORDS
from ..intent import Request
from ..weights import MIN_COVERAGE
from .about import clip_around
from .common import Context, Draft, Share, cite_sentences, enumeration, name_of

_ASKING = re.compile(r"(有|是)?(什么|哪些|多少|怎么|如何)|分别")
_MIN_TOPICS = 3  # two joined subjects are one subject ("民营经济和民营企业"), three are a list
_PER_TOPIC = 2  # sentences quoted under one topic, from different paragraphs
_NEAR = 5  # retrieved places this high up are what the whole question is about
_TOPIC = 12  # characters: a longer stretch between separators is a clause, not a topic
_CLIP = 120  # characters of a quoted sentence, around the topic
_PLACES = ("city", "county")  # a place named apart from the listed topics scopes them all
_SPECIFIC = 2  # specific things a further sentence of the topic's own paragraph must name to be quoted


def _ranked(share: Share, keys: list[str], ctx: Context, scope: tuple[str, ...] = ()) -> list[Sentence]:
    """The sentences on a topic, best first; with a ``scope`` (the aliases of the place the whole
    question is about), only those that name the place or sit in its own item."""
    hit_rank = ctx.hit_rank
    model = ctx.model

    def score(s: Sentence) -> tuple[float, bool, int, bool]:
        # a paragraph about the topic first, then the sentence naming the most specific things, then
        # the places found for the whole question (its frame, 营商环境, among 政务's many mentions)
        near = hit_rank.get(s.location.id, 99) < _NEAR
        led = all(k in s.lead_key for k in keys)
        return (share(s.key, s.lead_key), led, model.specificity(s), near)

    found = [
        s
        for s in model.sentences
        if s.location.id != "box1"
        and share(s.key, s.lead_key) >= MIN_COVERAGE
        and (not scope or any(a in s.key or a in s.lead_key for a in scope))
    ]
    return sorted(found, key=score, reverse=True)


def _asked_before(words: list[str], text: str) -> bool:
    """The topic stands before the question's asking words ("…分别有什么要求和数字": 数字 is asked,
    it names no topic)."""
    asking = _ASKING.search(text)
    return asking is None or text.find("".join(words)) <= asking.start()


def _named(words: list[str], ctx: Context) -> list[str]:
    """A topic's naming words: not the asker's words the plan never uses nor a lone character
    ("请列出政务" names 政务)."""
    while len(words) > 1 and (len(words[0]) == 1 or match_key(words[0]) not in ctx.model.plan_key):
        words = words[1:]
    return words


def _whole(words: list[str], text: str, at: int, ctx: Context) -> tuple[list[str], int]:
    """The topic as the asker wrote it between its separators, with the words a general reading
    drops as filler put back (重点帮扶县, not 县; 政策兑现, not 兑现)."""
    last = text.rfind(words[-1], 0, at)
    first = text.rfind(words[0], 0, last + 1) if last >= 0 else -1
    if first < 0 or last < first:
        return words, at
    start = max(text.rfind(c, 0, first) for c in "、，,：:和及与") + 1
    stops = [
        i
        for i in (
            text.find(c, last) for c in ("、", "，", ",", "。", "？", "?", "和", "及", "与", "方面", "的")
        )
        if i >= 0
    ]
    end = min(stops) if stops else len(text)
    whole = [w for w in ctx.model.tokenizer.words(text[start:end]) if w not in STOPWORDS and w.strip()]
    return (whole if whole and len("".join(whole)) <= _TOPIC else words), start


def compose(req: Request, ctx: Context) -> Draft | None:
    listed = [
        _named(words, ctx) for words in enumeration(req.text, ctx.model) if _asked_before(words, req.text)
    ]
    # the topics stand in the question in order, the list last: each is looked for before the one
    # after it (社会救助 of "民政厅社会救助处…请把社会救助、儿童福利…" is the second one)
    at = len(req.text)
    topics: list[list[str]] = []
    for words in reversed(listed):
        whole, at = _whole(words, req.text, at, ctx)
        topics.insert(0, _named(whole, ctx))
    # in a conversation, "这几家实验室…项目数、转化数" lists what is asked of the earlier subject
    if len(topics) < _MIN_TOPICS or ctx.focus:
        return None
    model = ctx.model
    # "请全面介绍规划对营口的部署：城市定位、交通枢纽地位…": the place the topics are asked of
    listed_key = match_key("".join(w for words in topics for w in words))
    scope = tuple(
        match_key(a)
        for e in req.entities
        if e.kind in _PLACES and match_key(e.name) not in listed_key
        for a in e.aliases
        if len(a) >= 2
    )
    blocks: list[str] = []
    quoted: list[Sentence] = []
    missing: list[str] = []
    for words in topics:
        name = "".join(words)
        # words the plan never uses (社工) can be matched by nothing: they do not count
        keys = [k for k in (match_key(w) for w in words) if k in model.plan_key]
        if not keys:
            missing.append(name)
            continue
        share = Share.of(keys, model)
        picked: list[Sentence] = []
        ranked = _ranked(share, keys, ctx, scope)
        for s in ranked:
            if len(picked) >= _PER_TOPIC:
                break
            if all((p.location.id, p.paragraph_index) != (s.location.id, s.paragraph_index) for p in picked):
                picked.append(s)
        # a paragraph led by the topic ("强化法治政府建设。…") is the plan's own passage on it: its
        # second most specific sentence is said too, after the first
        if picked and all(k in picked[0].lead_key for k in keys):
            first = picked[0]
            more = [
                s
                for s in ranked
                if (s.location.id, s.paragraph_index) == (first.location.id, first.paragraph_index)
                and s is not first
                and s.text != s.lead
                and model.specificity(s) >= _SPECIFIC
            ]
            picked[1:1] = more[:1]
        if not picked:
            missing.append(name)
            continue
        lines = []
        for s in picked:
            text = clip_around(s.text, keys[0], _CLIP)
            quoted.append(Sentence(s.location, s.paragraph_index, text))
            lines.append(f"「{text}」（{name_of(s.location)}）")
        blocks.append(f"【{name}】" + "；".join(lines))
    if len(blocks) < 2:
        return None  # not a list of the plan's topics: another composer reads it
    text = "规划纲要对所问各项的表述：\n" + "\n".join(f"{n}. {b}" for n, b in enumerate(blocks, start=1))
    if missing:
        text += "\n规划纲要中没有找到专门提及" + "、".join(f"「{m}」" for m in missing) + "的表述。"
    return Draft("aspects", False, text, cite_sentences(quoted))
