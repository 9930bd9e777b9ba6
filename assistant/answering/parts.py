"""A question that asks several things at once, split into its parts.

Officials ask in one breath: "技术合同成交额2030年目标多少？“专精特新”企业和科技型中小企业到2030年
分别要达到多少家？". Each part is answered on its own (its own intent, its own places) and the
answers are put together, so no part goes unanswered because another took the space. A label
before a colon that asks nothing ("农业农村厅：", "我是省发改委规划处的，要准备汇报材料：") is who is
asking, not what: it is dropped from the parts.
"""

from __future__ import annotations

import re

_ASKS = re.compile(r"多少|什么|哪|几|吗|呢|怎么|如何|是否|(\w)[不没]\1|啥|咋|真的假的|\?|？|么")
_SPOKEN_ASK = re.compile(r"(?:[不没]|没有)$")
_SPLIT = re.compile(r"(?<=[？?；;])|(?<=。)(?=.*[？?])")
_LABEL = re.compile(r"^([^：:]{2,40})[：:](?=.)")
_NUMERIC = ("m", "t", "q", "x", "u")  # numerals, times, measure words, punctuation, particles
_PREDICATE = ("v", "d", "p", "r", "c")  # verbs (not verbal nouns), adverbs, prepositions, pronouns
_YEAR = re.compile(r"到?20\d\d\s*年(?:底|末)?")
_MIN_PART = 4  # characters of a part that asks something on its own
MAX_PARTS = 4


def split_parts(question: str) -> list[str]:
    """The parts of ``question`` that each ask something; ``[question]`` when it asks one thing."""
    text = question.strip()
    label = _LABEL.match(text)
    if label and not _ASKS.search(label.group(1)):
        text = text[label.end() :]
    pieces = [c for p in _SPLIT.split(text) for c in _spoken(p.strip(" ，,"))]
    clauses: list[str] = []
    for piece in pieces:
        own = _clauses(piece)
        # "到2030年要新增多少平台、吸引多少团队": the year said once holds for every clause of its
        # sentence (not for the next question: "…要新筹建几家质检中心？消费维权要打什么品牌？")
        year = _YEAR.search(own[0])
        clauses += [
            c if n == 0 or year is None or _YEAR.search(c) else year.group(0) + c for n, c in enumerate(own)
        ]
    pieces = clauses
    parts = [
        p
        for p in pieces
        if len(re.sub(r"[\W_]", "", p)) >= _MIN_PART and (_ASKS.search(p) or _SPOKEN_ASK.search(p))
    ]
    if len(parts) < 2:
        # a remark after the one question ("…有哪些项目？我们要对照着报。") asks nothing
        whole = _SPLIT.split(question.strip())
        asking = [i for i, p in enumerate(whole) if _ASKS.search(p)]
        if asking and asking[-1] < len(whole) - 1:
            return ["".join(whole[: asking[-1] + 1]).strip()]
        return [question]
    return parts[:MAX_PARTS]


def _spoken(sentence: str) -> list[str]:
    """Spoken questions break their sentences with spaces, not punctuation ("学费两千多 听说要免费了
    真的假的 普惠园能有多少"): each stretch that asks, with the remarks before it that ask nothing."""
    stretches = [x for x in re.split(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", sentence) if x]
    if len(stretches) < 2:
        return [sentence]
    out: list[str] = []
    pending = ""
    for x in stretches:
        pending += ("，" if pending else "") + x
        asks = _ASKS.search(x) or _SPOKEN_ASK.search(x)  # 能交公积金不, 有说法没: a yes-no question
        if asks and len(re.sub(r"[\W_]", "", x)) >= _MIN_PART:
            out.append(pending)
            pending = ""
    if pending and out:
        out[-1] += "，" + pending
    elif pending:
        out.append(pending)
    return out


def _clauses(sentence: str) -> list[str]:
    """One sentence asking two things ("营收规模是多少、靠哪些城市？"): its clauses that each ask,
    a clause that asks nothing joined to the one after it ("A、B的营收规模是多少")."""
    chunks: list[str] = []
    pending = ""
    # only at 、: "有几节，分别叫什么" is one question (the second clause leans on the first's list)
    for piece in re.split(r"(?<=、)", sentence):
        pending += piece
        if _ASKS.search(pending) and len(re.sub(r"[\W_]", "", pending)) >= _MIN_PART:
            chunks.append(pending.strip(" 、，,"))
            pending = ""
    if pending and chunks:
        chunks[-1] += pending  # a trailing remark belongs to the last question
    elif pending:
        chunks.append(pending)
    return chunks if len(chunks) >= 2 else [sentence]


def leans_on_previous(tagged: list[tuple[str, str]]) -> bool:
    """A part that opens with what is said, not what it is said of ("提高了几个百分点？",
    "是约束性指标吗？", "五年要增加多少亿元？"): its subject is the previous part's, left out as
    Chinese leaves out a subject it has just named."""
    for word, flag in tagged:
        if flag.startswith(_NUMERIC) or word in ("年", "分别"):
            continue
        return flag.startswith(_PREDICATE) and flag != "vn"
    return False


_ELLIPTIC = re.compile(r"^[^？?，,。]{2,12}呢[？?]?$")


def names_only_its_subject(part: str) -> bool:
    """A part that names only its subject ("大学科技园呢？"): it re-asks the part before about it."""
    return bool(_ELLIPTIC.search(part))


_ASKED = re.compile(r"[^。！!？?；;]*(?:[？?]|吗|呢)\s*$")
_SELF = re.compile(r"(对|给|帮)?(我们|我司|咱们|本公司|我们公司)(这种|这样的|这类)?")


def asked_clause(text: str) -> str | None:
    """The question a company asks after describing itself: its last sentence when that sentence
    asks something and the description came before it; without the words about itself."""
    text = text.strip()
    m = _ASKED.search(text)
    if m is None:
        return None
    start = m.start()
    if start == 0:
        # one sentence, the description before a comma: "我们是…配套企业，规划对航空产业有什么支持？"
        cut = max(text.rfind("，"), text.rfind(","))
        if cut <= 0 or not _SELF.search(text[:cut]) or not _ASKS.search(text[cut + 1 :]):
            return None
        start = cut + 1
    asked = _SELF.sub("", text[start:]).strip(" ，,")
    return asked if len(asked) >= 6 else None
