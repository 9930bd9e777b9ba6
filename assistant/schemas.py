"""Request and response models of the HTTP API (with examples for the OpenAPI docs at /docs)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt

from .errors import InputError
from .facade import MAX_K, check_text
from .policy import TRAITS

MODEL_ID = "liaoning-plan-assistant"
MAX_TURN_CHARS = 20_000
MAX_LIST_ITEMS = 200


def _valid_text(value: str) -> str:
    try:
        return check_text(value)
    except InputError as exc:  # pydantic reports a ValueError as a 422 that names the field
        raise ValueError(str(exc)) from None


# Any text a client sends: valid Unicode only (a lone surrogate such as "\\udfff" is a clear 422).
Text = Annotated[str, AfterValidator(_valid_text)]


class TurnIn(BaseModel):
    role: Literal["user", "assistant"] = Field(description="Who said it.")
    content: Text = Field(max_length=MAX_TURN_CHARS, description="What was said.")


class CitationOut(BaseModel):
    location: Text = Field(examples=["ch14.s2"])
    title: Text = Field(examples=["第十四章 全力建设清洁能源强省 › 第二节 推动能源绿色低碳转型"])
    quote: Text = Field(description="Occurs verbatim (whitespace aside) in the cited location.")


class SearchRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"query": "清洁能源装机占比", "k": 5}]})
    query: Text = Field(description="Words or a question in Chinese.")
    k: StrictInt = Field(5, ge=1, le=MAX_K, description=f"How many results (1–{MAX_K}).")


class SearchResultOut(BaseModel):
    location: str
    chunk_id: str
    title: str
    text: str
    score: float


class SearchResponse(BaseModel):
    results: list[SearchResultOut]


class AskRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"question": "到2030年清洁能源装机占比达到多少？", "history": []},
                {
                    "question": "那风电呢？",
                    "history": [
                        {"role": "user", "content": "到2030年清洁能源装机占比达到多少？"},
                        {"role": "assistant", "content": "到2030年，清洁能源装机占比达到70%左右。"},
                    ],
                },
            ]
        }
    )
    question: Text = Field(description="The question (Chinese).")
    history: list[TurnIn] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS, description="Earlier turns, oldest first."
    )


class AskResponse(BaseModel):
    answer: str
    abstained: bool = Field(description="True when the plan does not contain the answer.")
    citations: list[CitationOut]
    query: str = Field(description="The standalone question that was searched.")
    timings_ms: dict[str, float]
    kind: str = "fact"
    notice: str | None = None


class HealthResponse(BaseModel):
    status: str = Field(examples=["ok"])
    chunks: int
    embedder: str
    generator: str
    index_built_at: str


class BoxOut(BaseModel):
    location: str
    title: str
    text: str


class SectionResponse(BaseModel):
    location: str = Field(examples=["ch14.s2"])
    kind: str = Field(examples=["section"])
    title: str
    text: str
    boxes: list[BoxOut]


class IndicatorOut(BaseModel):
    id: str
    indicator: str = Field(examples=["森林覆盖率"])
    unit: str
    category: str
    value_2025: str
    value_2030: str
    growth: str
    attribute: str
    flags: list[str]


class IndicatorsResponse(BaseModel):
    rows: list[IndicatorOut]
    flags: dict[str, str] = Field(description="What each flag means.")


MAX_INDUSTRY_CHARS = 100
MAX_DESCRIPTION_CHARS = 1000
DEFAULT_MATCH_K = 20
DALIAN_SHIPBUILDER: dict[str, Any] = {
    "industry": "船舶与海工装备产业集群",
    "city": "大连",
    "traits": ["民营", "专精特新"],
    "description": "为大连、葫芦岛的总装船厂配套LNG船液货围护系统绝缘箱和船用甲板机械，并开发深远海养殖装备。",
}


class ProfileIn(BaseModel):
    """An enterprise: its industry (a 专栏2 cluster or free words), city, type and business."""

    model_config = ConfigDict(json_schema_extra={"examples": [DALIAN_SHIPBUILDER]})
    industry: Text = Field(
        "", max_length=MAX_INDUSTRY_CHARS, description="所属行业：专栏2 的产业集群名称或自由填写。"
    )
    city: Text = Field("", max_length=10, description="辽宁省 14 个地级市之一（可带“市”），可空。")
    traits: list[Text] = Field(
        default_factory=list, max_length=len(TRAITS), description=f"企业类型，可选：{'、'.join(TRAITS)}。"
    )
    description: Text = Field("", max_length=MAX_DESCRIPTION_CHARS, description="企业简介：主营业务、产品。")


class PolicyMatchRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"profile": DALIAN_SHIPBUILDER, "k": 20}]})
    profile: ProfileIn = Field(description="At least one of industry and description is required.")
    k: StrictInt = Field(DEFAULT_MATCH_K, ge=1, le=MAX_K, description=f"How many clauses (1–{MAX_K}).")


class ClauseOut(BaseModel):
    location: str = Field(examples=["ch2.s3"])
    title: str = Field(
        examples=[
            "第二章 统筹传统产业转型升级和战略性新兴产业培育壮大 加快建设现代化产业体系 › 第三节 培育壮大新兴产业"
        ]
    )
    quote: str = Field(description="One sentence of the plan, verbatim (whitespace aside) in its location.")
    score: float
    reasons: list[str] = Field(
        description="Why it matched: the profile terms it shares, e.g. 行业:船舶, 城市:大连, 类型:民营, or "
        "描述:<a statement of the company's description it answers>."
    )
    item: str = Field(
        "",
        description="The item or paragraph the clause belongs to, e.g. （四）核工业装备产业集群, 做强核能产业.",
    )


class ClauseGroupOut(BaseModel):
    chapter: str = Field(description="The chapter heading (or 序言).")
    clauses: list[ClauseOut]


class PolicyMatchResponse(BaseModel):
    clusters: list[str] = Field(description="The 专栏2 industrial clusters the industry names.")
    targets: list[ClauseOut] = Field(description="Targets for the industry (营收规模 etc.).")
    groups: list[ClauseGroupOut] = Field(description="Applicable clauses by chapter, best chapter first.")


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": "到2030年清洁能源装机占比达到多少？",
                    "answer": "清洁能源装机占比达到70%左右。",
                    "citations": [],
                    "rating": "up",
                    "comment": "准确",
                }
            ]
        }
    )
    question: Text = Field(min_length=1, max_length=MAX_TURN_CHARS)
    answer: Text = Field(max_length=MAX_TURN_CHARS)
    citations: list[CitationOut] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    rating: Literal["up", "down"]
    comment: Text | None = Field(None, max_length=2000)


class FeedbackResponse(BaseModel):
    id: int


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Text
    text: Text | None = Field(None, max_length=MAX_TURN_CHARS)


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant"]
    content: Annotated[Text, Field(max_length=MAX_TURN_CHARS)] | list[TextPart] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: StrictBool = False


class ChatRequest(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL_ID,
                    "messages": [{"role": "user", "content": "到2030年清洁能源装机占比达到多少？"}],
                    "stream": False,
                }
            ]
        },
    )
    model: Text = Field(MODEL_ID, max_length=200)
    messages: list[ChatMessageIn] = Field(min_length=1, max_length=MAX_LIST_ITEMS)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    n: Literal[1] | None = Field(1, description="Only one choice is generated (1 or null).")
    max_tokens: StrictInt | None = Field(
        None,
        ge=1,
        description="Accepted (at least 1) but not applied: an answer and its quotes are never cut.",
    )
    max_completion_tokens: StrictInt | None = Field(None, ge=1, description="As `max_tokens`.")
