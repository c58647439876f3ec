"""Pulse surveys: a survey (its questions, made from a template), its rounds sent to teams for
a time window, and an answer store that is not linked to the people who answered.

How the answer store keeps people unlinked (the guarantee, against someone who reads the
database with SQL; the web server's request logs, backups taken between two writes and raw
disk/WAL forensics are out of scope):

* ``Participation`` is the one-answer-per-person guard: (round, person), unique, with no
  time stamp, no team and no link of any kind to an answer.
* ``Response`` / ``Answer`` rows have random UUID4 keys, no person, no time stamp (a round
  has day-granular dates only) and keep only the team the person answered for (needed for
  per-team figures).
* Answers are not written when given: they wait in the round-and-team's ``PendingPool`` (one
  row, each new response inserted at a random position of its list) and are written when the
  pool holds at least ``SURVEY_MIN_RESPONDENTS`` responses (``surveys.services``). Each write
  deletes the team's stored responses and inserts all of them again, old and new, in a
  shuffled order with fresh keys, so neither keys nor physical order (PostgreSQL ``ctid``,
  SQLite ``rowid``) follow the order in which people answered.
* A team that has not reached the threshold has its answers only in the pool; they are never
  shown (``surveys.anonymity``). What a reader of the database can always learn is what any
  per-team figure says: the set of a team's stored answers belongs to the team's respondents
  as a group.
* Nothing of this app is tracked by django-simple-history or enters the activity feeds.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from execsupport.validation import (
    DESCRIPTION_MAX,
    FieldConstraintsMixin,
    text_validators,
    validate_date,
)
from strategy.models import Strategy, Team

TEXT_ANSWER_MAX = 2000
SCALE_MIN, SCALE_MAX = 1, 5


class Survey(models.Model):
    """A short survey of one strategy, made from a template; its rounds are sent to teams."""

    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="surveys")
    name = models.CharField(max_length=160)
    template = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_on = models.DateField()

    class Meta:
        ordering = ["-created_on", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The survey's page."""
        return reverse("surveys:detail", args=[self.pk])


class Question(models.Model):
    """One question: a 1-5 scale item with a standard code (``surveys.results.SURVEY_ITEMS``)
    or an optional free-text question."""

    class Kind(models.TextChoices):
        SCALE = "scale", "1-5 scale"
        TEXT = "text", "Free text (optional)"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    code = models.SlugField(max_length=40)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.SCALE)
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="survey_question_code_unique")
        ]

    def __str__(self) -> str:
        return self.text


class SurveyRound(FieldConstraintsMixin, models.Model):
    """One sending of a survey to teams, open from ``opens_on`` to ``closes_on`` (inclusive).
    ``closed_early`` closes it before its end; it can be reopened within the window."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="rounds")
    label = models.CharField(max_length=80)
    opens_on = models.DateField(validators=[validate_date])
    closes_on = models.DateField(validators=[validate_date])
    closed_early = models.BooleanField(default=False)
    teams = models.ManyToManyField(Team, through="RoundTeam", related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))
    # Not a field: the round's teams the reader may see, set by the survey page for its template.
    visible_teams: list[Team]

    class Meta:
        ordering = ["-closes_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="survey_round_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey}: {self.label}"

    def get_absolute_url(self) -> str:
        """The round's page."""
        return reverse("surveys:round", args=[self.pk])

    def is_open(self, *, today) -> bool:
        """Open for answers on ``today`` (a date): within the window and not closed early."""
        return not self.closed_early and self.opens_on <= today <= self.closes_on


class RoundTeam(models.Model):
    """A team a round was sent to, with the number of people invited (its members and leaders
    at sending time; shown only as part of a figure that passes the threshold)."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="round_teams")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    invited = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "team"], name="survey_round_team_unique")
        ]

    def __str__(self) -> str:
        return f"{self.round_id}: team {self.team_id}"


class Participation(models.Model):
    """The one-answer-per-person guard: that ``person`` answered ``round``. Deliberately no
    time stamp, no team and no link to the answer."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="survey_one_answer_per_person")
        ]

    def __str__(self) -> str:
        return "an answer was given"


class PendingPool(models.Model):
    """Answers of one round and team waiting to be written (fewer than the threshold so far).

    ``responses`` is a list of ``{"scale": {code: value}, "text": {code: text}}``; each new one
    is inserted at a random position, so the list's order says nothing about who came first."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    responses = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "team"], name="survey_pool_unique")]

    def __str__(self) -> str:
        return "answers waiting to be written"


class Response(models.Model):
    """One person's answers to one round, unlinked from the person: a random key, the team
    answered for, and no time stamp."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["round", "team"], name="survey_response_round_team")]

    def __str__(self) -> str:
        return "an anonymous response"


class Answer(models.Model):
    """One answer of a response: ``value`` (1-5) for a scale question, ``text`` for free text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    value = models.PositiveSmallIntegerField(null=True)
    text = models.TextField(blank=True, validators=text_validators(TEXT_ANSWER_MAX))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=SCALE_MIN, value__lte=SCALE_MAX),
                name="survey_answer_scale",
            )
        ]

    def __str__(self) -> str:
        return "an anonymous answer"
