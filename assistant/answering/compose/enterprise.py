"""A company describing itself in the chat: the plan's clauses that apply to it, by chapter.

The description is read into a profile (the 专栏2 cluster it names, its city, its type such as
民营 or 外贸) and handed to the policy matcher (:mod:`assistant.policy`), the same one behind the
企业政策匹配 tab, so the chat and the tab agree.
"""

from __future__ import annotations

import re

from ...policy import TRAITS, PolicyMatcher, Profile
from ...query import PREFECTURES
from ..intent import Request
from .common import Context, Draft, cite
from .targets import is_target

_CLAUSES = 8
_TARGET_SOURCES = 5  # clauses whose item's targets are shown
_TARGETS = 3


def _cluster_by_parts(text: str, names: list[str]) -> str:
    """The cluster whose name's parts (绿色石化, 精细化工 of 绿色石化及精细化工产业集群) the text uses most."""
    best, best_len = "", 0
    for name in names:
        parts = [p for p in re.split(r"及|与|和", name.removesuffix("产业集群")) if len(p) >= 2]
        matched = sum(len(p) for p in parts if p in text)
        if matched > best_len:
            best, best_len = name, matched
    return best


def profile_of(req: Request, cluster_names: list[str]) -> Profile:
    clusters = [e.name for e in req.entities if e.kind == "cluster"] or [
        c for c in (_cluster_by_parts(req.text, cluster_names),) if c
    ]
    city = next((c for c in PREFECTURES if c in req.text), "")
    traits = tuple(t for t, words in TRAITS.items() if t in req.text or any(w in req.text for w in words))
    return Profile(industry=clusters[0] if clusters else "", city=city, traits=traits, description=req.text)


def compose(req: Request, ctx: Context, matcher: PolicyMatcher) -> Draft | None:
    profile = profile_of(req, [e.name for e in ctx.model.clusters])
    report = matcher.match(profile, ctx.dense, k=_CLAUSES)
    if not report.groups:
        return None
    doc = ctx.model.doc
    about = "，".join(
        x
        for x in (
            f"所属集群：{'、'.join(report.clusters)}" if report.clusters else "",
            f"城市：{profile.city}" if profile.city else "",
            f"类型：{'、'.join(profile.traits)}" if profile.traits else "",
        )
        if x
    )
    lines: list[str] = []
    citations = []
    n = 0
    for heading, clauses in report.groups:
        lines.append(f"【{heading}】")
        for c in clauses:
            n += 1
            loc = doc[c.location]
            item = loc.paragraphs[c.paragraph].lead if c.paragraph >= 0 else None
            owner = f"（{item}）" if item and item not in c.quote else ""
            lines.append(f"{n}. {c.quote}{owner} ——{loc.cite}")
            citations.append(cite(loc, c.quote))
    # the targets of the items the best clauses belong to, each named by its item
    targets = [*((t.location, t.paragraph, t.quote) for t in report.targets)]
    for c in report.clauses[:_TARGET_SOURCES]:
        for s in ctx.model.extractor.sentences[c.location]:
            if s.paragraph_index == c.paragraph and is_target(s):
                targets.append((c.location, c.paragraph, s.text))
    seen: set[str] = set()
    for loc_id, paragraph, quote in targets:
        loc = doc[loc_id]
        item = loc.paragraphs[paragraph].lead if paragraph >= 0 else None
        if not item or quote in seen or len(seen) == _TARGETS:
            continue  # a target is shown only with the item it belongs to
        seen.add(quote)
        lines.append(f"目标（{item.strip('。')}）：{quote} ——{loc.cite}")
        citations.append(cite(loc, quote))
    head = "根据您描述的企业情况" + (f"（{about}）" if about else "") + "，规划中与您相关的条款如下：\n"
    return Draft(
        "enterprise", False, head + "\n".join(lines), tuple(citations), tuple(str(i) for i in range(1, n + 1))
    )
