"""Question analysis: what kind of question, what it refers to, what a correct answer must contain.

All offline and rule-based, on the plan's own vocabulary: the type (figure, list, where,
indicator, reference, fact), direct references (第十四章第二节, 专栏27), the years asked about, the
unit a figure must carry (万千瓦, 亿元, %, a year…), other provinces named, and the content terms
an answer sentence has to cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .answering.lexicon import lexicon
from .normalize import cn_to_int, match_key, normalize_years
from .parse import Document
from .tokens import Tokenizer

_CN = "一二三四五六七八九十"
REF_SECTION = re.compile(rf"第\s*([{_CN}\d]+)\s*章\s*(?:的?\s*第\s*([{_CN}\d]+)\s*节)?")
REF_BOX = re.compile(rf"专栏\s*([{_CN}\d]+)")
QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,20})[”\"」』]")
# a year: 2030年, 2030目标, 到2030 — not an amount (2000多, 2000个)
YEAR = re.compile(r"(?<![\d.])(20\d{2})(?![\d.])\s*(?![多余万亿元个人家项户%])年?")
PROVINCES = (
    "吉林",
    "黑龙江",
    "内蒙古",
    "河北",
    "山东",
    "北京",
    "天津",
    "山西",
    "江苏",
    "浙江",
    "上海",
    "广东",
    "福建",
    "河南",
    "湖北",
    "湖南",
    "四川",
    "重庆",
    "陕西",
    "甘肃",
    "安徽",
    "江西",
    "广西",
    "云南",
    "贵州",
    "海南",
    "青海",
    "宁夏",
    "新疆",
    "西藏",
)
LOCAL = re.compile(r"都市圈|新区|开发区|县|自贸|十四五")  # a subject below or before the province-wide table
# The 14 prefecture-level cities of Liaoning (专栏19 positions 12 of them; 沈阳 and 大连 are the "双核").
PREFECTURES = (
    "沈阳",
    "大连",
    "鞍山",
    "抚顺",
    "本溪",
    "丹东",
    "锦州",
    "营口",
    "阜新",
    "辽阳",
    "盘锦",
    "铁岭",
    "朝阳",
    "葫芦岛",
)
# Places an answer or a follow-up may name: the cities and the two named new areas.
CITIES = (*PREFECTURES, "沈抚", "金普")
WHERE_WORDS = (
    "哪一章",
    "哪一节",
    "哪章",
    "哪节",
    "哪个章节",
    "在哪里",
    "在哪",
    "哪里讲",
    "哪里提",
    "哪个专栏",
    "哪一部分",
    "第几章",
    "第几节",
)
LIST_WORDS = (
    "哪些",
    "哪几",
    "有什么",
    "包括什么",
    "包括哪",
    "分别是",
    "指什么",
    "是什么",
    "是哪",
    "列举",
    "都有",
    "具体指",
)
FIGURE_WORDS = (
    "多少",
    "目标",
    "几个",
    "几家",
    "几项",
    "百分之",
    "比重",
    "占比",
    "达到",
    "增长",
    "目标是",
    "多大",
    "规模",
)
WHEN_WORDS = (
    "哪一年",
    "哪年",
    "什么时候",
    "何时",
    "哪个时间",
    "什么时间",
    "啥时候",
    "啥时",
)  # not 几年: 延长几年 asks a duration
SUMMARY_WORDS = ("还讲了", "讲了什么", "讲了哪些", "主要内容", "讲什么", "说了什么", "还有什么")
ENTERPRISE = re.compile(r"(我们|我司|本公司|我公司|我是).{0,30}(企业|公司|厂|合作社|商户|工厂)")
ATTRIBUTE_WORDS = ("约束性", "预期性", "属性")
# Words that frame a question but say nothing about its subject.
# (tokens.STOPWORDS are dropped before these are.)
FILLER = frozenset(
    (
        "做 多 它 年 指 更 章 第 管 给 节 让 讲 该 还 这 那 一家 一年 一节 专栏 主要 之前 以上 以后 企业 倡导 全省 公司 其中 具体 内容 分别 利好 到底 十五 "
        "可以 哪一 哪几 哪年 在哪 多大 它的 安排 实现 左右 帮扶 建设 怎样 总数 总量 情况 打算 提升 提高 支持 政策 方向 时候 期间 没有 目标 相关 要求 计划 讲了 "
        "达到 还有 这一 这个 这么 这事 那么 部署 重点 针对 问题 预计 十五五 哪一年 怎么样 有没有 分为 几个 哪几个"
    ).split()
)
UNITS = (
    "万亿元",
    "亿元",
    "万元",
    "元",
    "万千瓦",
    "千瓦",
    "万吨标准煤",
    "万吨",
    "亿斤",
    "万亩",
    "亩",
    "万人",
    "人",
    "万辆",
    "万座",
    "座",
    "公里",
    "千米",
    "个",
    "家",
    "项",
    "条",
    "处",
    "所",
    "张",
    "次",
    "件",
    "岁",
    "年",
    "万标箱",
    "万户",
    "户",
    "名",
    "支",
    "场",
    "米",
)
_UNIT_AFTER = re.compile(r"多少\s*(" + "|".join(sorted(UNITS, key=len, reverse=True)) + ")")
_PERCENT_WORDS = ("百分之", "占比", "比重", "比例", "覆盖率", "率", "%", "百分点")


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # figure, list, where, indicator, reference, summary, when, fact
    refs: tuple[str, ...]  # location ids named in the question
    years: tuple[int, ...]
    unit: str | None  # the unit a figure must carry, "%" or "year" for when-questions
    provinces: tuple[str, ...]
    terms: tuple[str, ...]  # content terms an answer has to cover
    asks_attribute: bool = False
    inherited_unit: bool = False
    # names (with aliases) of the cluster a figure must belong to: its sentence or item head names it
    bound_to: tuple[str, ...] = ()
    focus: tuple[str, ...] = ()  # the places the conversation is about (their items are its subject)


def location_refs(text: str, doc: Document) -> list[str]:
    """Location ids named explicitly: 第十四章第二节 → ch14.s2, 第三章 → ch3.s0, 专栏27 → box27."""
    refs: list[str] = []
    for m in REF_SECTION.finditer(text):
        try:
            chapter = cn_to_int(m.group(1))
            section = cn_to_int(m.group(2)) if m.group(2) else 0
        except ValueError:
            continue
        loc_id = f"ch{chapter}.s{section}"
        if doc.get(loc_id):
            refs.append(loc_id)
        elif section == 0 and doc.get(f"ch{chapter}.s1"):
            refs.append(f"ch{chapter}.s1")
    for m in REF_BOX.finditer(text):
        try:
            loc_id = f"box{cn_to_int(m.group(1))}"
        except ValueError:
            continue
        if doc.get(loc_id):
            refs.append(loc_id)
    return list(dict.fromkeys(refs))


# who is in charge: the plan assigns tasks, it seldom names who carries them out
_AGENT_ASKED = re.compile(
    r"谁(来)?(负责|牵头|主管|管)|由谁|负责人|哪位|分管|哪个(部门|单位|厅|局|机构|处室)|哪些(部门|单位)(负责|牵头)"
    r"|牵头(单位|部门)|主管部门"
)


_AGENT_WORDS = re.compile(
    r"(由|哪个|哪些|哪位)?(厅局|厅|局|部门|单位|副省长|省长|领导)?(牵头|负责|主管|分管|是谁|谁)的?"
)


def asked_unit(text: str) -> str | None:
    if _AGENT_ASKED.search(text):
        return "agent"
    if any(w in text for w in WHEN_WORDS):
        return "year"
    m = _UNIT_AFTER.search(text)
    if m:
        return m.group(1)
    if re.search(r"(具体|多少)金额|金额(是)?多少|多少(钱|资金)", text):
        return "money"
    if "多少" in text and re.search(r"生产总值|GDP", text, re.I):
        # GDP questions ask either for a growth rate or for an amount
        return "%" if re.search(r"增长|增速|比重|占", text) else "money"
    if "多少" in text and any(w in text for w in _PERCENT_WORDS):
        return "%"
    if (
        any(w in text for w in ("投资", "资金", "经费", "补贴", "基金", "营收", "产值", "工资", "养老金"))
        and ("多少" in text or "规模" in text)
        and not re.search(r"(产值|营收)之?比", text)  # 总产值比 is a ratio, not an amount
    ):
        return "money"
    return None


def content_terms(text: str, tokenizer: Tokenizer) -> tuple[str, ...]:
    """The subject terms of a question: jieba words minus framing words, years and units."""
    cleaned = YEAR.sub(" ", normalize_years(text))
    for word in (*YEAR_WORDS, "值"):
        cleaned = cleaned.replace(word, " ")
    terms = []
    for tok in tokenizer.tokens(cleaned):
        tok = _trim_particles(tok, tokenizer)
        if (
            tok in FILLER
            or tok in lexicon().when  # 啥时候 frames the question, it is not its subject
            or tok.isdigit()
            or tok in UNITS
            or (len(tok) < 2 and not re.match(r"[a-z0-9]", tok))
        ):
            continue
        terms.append(tok)
    # a phrase the asker put in quotes ("之都", “一枢纽、四中心”) is a term as a whole
    terms += [m.strip() for m in QUOTED.findall(text) if len(m.strip()) >= 2]
    # cut_for_search yields both a long word and its parts; keep the parts only when alone.
    longest = sorted(set(terms), key=len, reverse=True)
    kept: list[str] = []
    for t in longest:
        if not any(t in k for k in kept):
            kept.append(t)
    return tuple(sorted(kept, key=lambda t: text.find(t) if t in text else len(text)))


_PARTICLES = "要到的是将在于把和与及了"


def _trim_particles(term: str, tokenizer: Tokenizer) -> str:
    """jieba sometimes glues a particle to a word (率要); drop it when the plan never has the glued form."""
    corpus_terms = set(tokenizer.user_terms)
    if term in corpus_terms or len(term) < 2:
        return term
    trimmed = term.strip(_PARTICLES)
    return trimmed if len(trimmed) >= 1 and trimmed != term else term


# How people name the table's columns without a year: 基期值 is the 2025 column.
YEAR_WORDS = {
    "基期": 2025,
    "现状值": 2025,
    "目前": 2025,
    "十四五末": 2025,
    "目标值": 2030,
    "期末": 2030,  # 规划期末, 到期末
    "十五五末": 2030,
    "五年后": 2030,  # said in 2025, the plan's base year
}


def classify(text: str, doc: Document, tokenizer: Tokenizer) -> Question:
    refs = tuple(location_refs(text, doc))
    years = tuple(int(y) for y in YEAR.findall(normalize_years(text)))
    years += tuple(y for w, y in YEAR_WORDS.items() if w in text and y not in years)
    unit = asked_unit(text)
    provinces = tuple(p for p in PROVINCES if p in text)
    asked = REF_BOX.sub(" ", REF_SECTION.sub(" ", text))
    if unit == "agent":  # who is asked about, not a subject: 负责人, 牵头, 哪个厅局
        asked = _AGENT_WORDS.sub(" ", _AGENT_ASKED.sub(" ", asked))
    terms = content_terms(asked, tokenizer)
    asks_attribute = any(w in text for w in ATTRIBUTE_WORDS)
    if ENTERPRISE.search(text) and not unit:
        kind = "enterprise"
    elif any(w in text for w in WHERE_WORDS) and unit != "year":
        kind = "where"
    elif refs and (any(w in text for w in SUMMARY_WORDS) or not terms) and not unit:
        kind = "reference"
    elif unit == "year":
        kind = "when"
    elif unit or (any(w in text for w in FIGURE_WORDS) and not any(w in text for w in LIST_WORDS)):
        kind = "figure"
    elif any(w in text for w in LIST_WORDS):
        kind = "list"
    else:
        kind = "fact"
    return Question(text, kind, refs, years, unit, provinces, terms, asks_attribute)


def mentions(text: str, names: tuple[str, ...]) -> tuple[str, ...]:
    key = match_key(text)
    return tuple(n for n in names if n in key)


def classify_followup(core: str, frame: str, doc: Document, tokenizer: Tokenizer) -> Question:
    """A follow-up's own words decide its subject; the previous question lends what it lacks.

    ``那耕地灌溉面积的目标呢？`` after a 多少-question is a figure question about 耕地灌溉面积;
    the borrowed unit is only a preference (see ``inherited_unit``).
    """
    own = classify(core, doc, tokenizer)
    prev = classify(frame, doc, tokenizer)
    kind = own.kind if own.kind != "fact" else prev.kind
    if kind in ("where", "reference") and own.kind == "fact":
        kind = "fact"
    unit = own.unit or (prev.unit if kind in ("figure", "when") else None)
    return Question(
        # without a subject of its own (基期值是多少？) the follow-up is about the previous one's
        text=core if own.terms else f"{core}（{frame}）",
        kind=kind,
        refs=own.refs,
        years=own.years or prev.years,
        unit=unit,
        provinces=own.provinces,
        terms=own.terms or prev.terms,
        asks_attribute=own.asks_attribute,
        inherited_unit=unit is not None and own.unit is None,
    )
