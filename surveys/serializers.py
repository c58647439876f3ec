"""Serializers of the surveys API: definitions, rounds, an answer (input only) and aggregated
results (never an individual answer)."""

from __future__ import annotations

from rest_framework import serializers

from surveys.catalogue import TEMPLATES
from surveys.models import SCALE_MAX, SCALE_MIN, TEXT_ANSWER_MAX, Question, Survey, SurveyRound


class QuestionSerializer(serializers.ModelSerializer):
    """A survey question as listed with its survey: code, kind and text."""

    class Meta:
        model = Question
        fields = ["code", "kind", "text"]


class SurveySerializer(serializers.ModelSerializer):
    """A survey with its questions (read)."""

    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Survey
        fields = ["id", "name", "template", "strategy", "created_on", "questions"]
        read_only_fields = fields


class SurveyCreateSerializer(serializers.Serializer):
    """A new survey of the current strategy, from a template."""

    template = serializers.ChoiceField(choices=sorted(TEMPLATES))
    name = serializers.CharField(max_length=160, required=False, allow_blank=True, default="")


class RoundSerializer(serializers.ModelSerializer):
    """A round: its window, whether it is open today, and the teams it was sent to that the
    reader may see."""

    is_open = serializers.SerializerMethodField()
    teams = serializers.SerializerMethodField()

    class Meta:
        model = SurveyRound
        fields = [
            "id",
            "survey",
            "label",
            "opens_on",
            "closes_on",
            "closed_early",
            "is_open",
            "teams",
        ]
        read_only_fields = fields

    def get_is_open(self, obj: SurveyRound) -> bool:
        """Whether the round takes answers today (``today`` from the context)."""
        return obj.is_open(today=self.context["today"])

    def get_teams(self, obj: SurveyRound) -> list[int]:
        """The ids of the round's teams the reader may see, ascending."""
        access = self.context["access"]
        return sorted(
            rt.team_id for rt in obj.round_teams.all() if access.can_view_team(rt.team_id)
        )


class RoundCreateSerializer(serializers.Serializer):
    """Send a survey to teams for a window (dates inclusive)."""

    survey = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    label = serializers.CharField(max_length=80)  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Field.label stays
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()
    team_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=500,
    )


class AnswerSerializer(serializers.Serializer):
    """One person's answers: every scale question (``answers``: code -> 1..5), optional free
    text (``texts``: code -> text), and the team answered for when there are several."""

    team = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    answers = serializers.DictField(
        child=serializers.IntegerField(min_value=SCALE_MIN, max_value=SCALE_MAX)
    )
    texts = serializers.DictField(
        child=serializers.CharField(max_length=TEXT_ANSWER_MAX, allow_blank=True), required=False
    )


class ItemResultSerializer(serializers.Serializer):
    """One figure (``surveys.results.ItemResult``): numbers are null when suppressed."""

    round_id = serializers.IntegerField()
    round_label = serializers.CharField()
    closes_on = serializers.DateField()
    team_id = serializers.IntegerField(allow_null=True)
    respondents = serializers.IntegerField(allow_null=True)
    distribution = serializers.DictField(child=serializers.IntegerField(), allow_null=True)
    mean = serializers.FloatField(allow_null=True)
    suppressed = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class QuestionResultsSerializer(serializers.Serializer):
    """The results of one question: one figure per round and team (numbers null where
    suppressed)."""

    code = serializers.CharField()
    text = serializers.CharField()
    results = ItemResultSerializer(many=True)


class RoundResultsSerializer(serializers.Serializer):
    """A round's aggregated results as the reader may see them."""

    round = serializers.IntegerField()
    threshold = serializers.IntegerField()
    questions = QuestionResultsSerializer(many=True)
    texts_shown = serializers.BooleanField()
    texts = serializers.ListField(child=serializers.CharField())
