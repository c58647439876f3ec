"""The survey templates offered when creating a survey, with the standard item codes that
other apps read (``surveys.results.SURVEY_ITEMS``)."""

from __future__ import annotations

from dataclasses import dataclass

# code -> statement answered on a 1 (strongly disagree) to 5 (strongly agree) scale
STANDARD_ITEMS: dict[str, str] = {
    "understand_strategy": "I understand our strategy and how my work contributes to it.",
    "know_priorities": "I know my team's priorities this quarter.",
    "have_resources": "I have the resources I need.",
    "problems_fixed": "Problems are raised and fixed quickly.",
    "leader_vision_trust": "My leader shares the vision and trusts the team to decide.",
    "skills_growth": "I am building the skills our strategy needs from me.",
}
FREE_TEXT_CODE = "comment"
FREE_TEXT_PROMPT = "Anything else you want to tell us? (optional)"


@dataclass(frozen=True)
class SurveyTemplate:
    """A template: its key, name and the codes of its scale items (in order)."""

    key: str
    name: str
    items: tuple[str, ...]
    free_text: bool = True


TEMPLATES: dict[str, SurveyTemplate] = {
    t.key: t
    for t in (
        SurveyTemplate(
            key="execution_pulse",
            name="Execution pulse",
            items=(
                "understand_strategy",
                "know_priorities",
                "have_resources",
                "problems_fixed",
                "leader_vision_trust",
            ),
        ),
        SurveyTemplate(
            key="strategy_clarity",
            name="Strategy clarity",
            items=("understand_strategy", "know_priorities"),
        ),
        SurveyTemplate(
            key="capability_check",
            name="Capability check",
            items=("have_resources", "problems_fixed", "leader_vision_trust", "skills_growth"),
        ),
    )
}
SCALE_LABELS = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither",
    4: "Agree",
    5: "Strongly agree",
}
