"""What a generation stores (1–3 insights, the nudge config, a summary) and how the model's JSON is
checked before it is trusted (docs/domain.md §3.14).

The model's text is read leniently where a part can be replaced and strictly where it cannot: code
fences and text around the outermost object are ignored (domain/ai_text.py); an insight with an unknown
type, no text, an unfilled "<...>" placeholder, more than 2 emoji or a non-integer priority is dropped,
a long text is cut; a bad nudge
config or summary is replaced by the one the rules give. Output with no usable insight is rejected
as a whole, and the caller writes the template insights instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from domain.ai_text import clean_text, parse_json_object
from domain.errors import InvalidInput
from domain.insights.rules import NudgeConfig, RiskLevel
from domain.local_time import parse_hhmm

__all__ = [
    "MAX_INSIGHTS",
    "MAX_INSIGHT_CHARS",
    "MAX_SUMMARY_CHARS",
    "Insight",
    "InsightType",
    "InsightsText",
    "parse_insights_output",
]

MAX_INSIGHTS: Final = 3
MAX_INSIGHT_CHARS: Final = 300
MAX_SUMMARY_CHARS: Final = 200
# As the other AI texts (§3.12): a little colour, never a row of emoji.
MAX_EMOJI: Final = 2
_RISK_LEVELS: Final = tuple(level.value for level in RiskLevel)


class InsightType(StrEnum):
    PATTERN = "pattern"
    ENCOURAGEMENT = "encouragement"
    WARNING = "warning"
    TIP = "tip"


_INSIGHT_TYPES: Final = tuple(kind.value for kind in InsightType)


@dataclass(frozen=True, slots=True)
class Insight:
    type: InsightType
    text: str
    priority: int

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type.value, "text": self.text, "priority": self.priority}


@dataclass(frozen=True, slots=True)
class InsightsText:
    insights: tuple[Insight, ...]  # 1 to MAX_INSIGHTS, by priority
    nudge_config: NudgeConfig
    summary: str


def parse_insights_output(text: str, *, rules_nudge: NudgeConfig, rules_summary: str) -> InsightsText | None:
    """The model's answer as stored insights, or None when it holds no usable insight."""
    document = parse_json_object(text)
    if document is None:
        return None
    raw_insights = document.get("insights")
    insights = [
        insight
        for insight in (_insight(item) for item in (raw_insights if isinstance(raw_insights, list) else []))
        if insight is not None
    ]
    if not insights:
        return None
    insights.sort(key=lambda insight: insight.priority)
    return InsightsText(
        insights=tuple(insights[:MAX_INSIGHTS]),
        nudge_config=_nudge_config(document.get("nudge_config")) or rules_nudge,
        summary=_free_text(document.get("summary"), MAX_SUMMARY_CHARS) or rules_summary,
    )


def _insight(item: object) -> Insight | None:
    if not isinstance(item, dict):
        return None
    kind, priority = item.get("type"), item.get("priority")
    text = _free_text(item.get("text"), MAX_INSIGHT_CHARS)
    if kind not in _INSIGHT_TYPES or text is None:
        return None
    if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
        return None
    return Insight(InsightType(kind), text, priority)


def _free_text(value: object, limit: int) -> str | None:
    """Cleaned text (domain/ai_text.py), None when empty or an unfilled "<...>" placeholder."""
    text = clean_text(value, limit, MAX_EMOJI)
    if text is None or (text.startswith("<") and text.endswith(">")):
        return None
    return text


def _nudge_config(value: object) -> NudgeConfig | None:
    if not isinstance(value, dict):
        return None
    days, level, extra = value.get("risky_days"), value.get("risk_level"), value.get("needs_extra_motivation")
    time = _hhmm(value.get("best_nudge_time"))
    if not isinstance(days, list) or not all(_is_weekday(day) for day in days):
        return None
    if level not in _RISK_LEVELS or not isinstance(extra, bool) or time is None:
        return None
    return NudgeConfig(tuple(sorted(set(days))), RiskLevel(level), time, extra)


def _is_weekday(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6


def _hhmm(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_hhmm(value)
    except InvalidInput:
        return None
