"""Writes of pulse surveys: create from a template, send a round, close and reopen it, and
answer it without leaving a link to the person (see ``surveys.models`` for the guarantee)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from strategy.access import Access
from strategy.models import Membership, Strategy, Team
from strategy.quantities import date_text
from surveys import anonymity
from surveys.catalogue import FREE_TEXT_CODE, FREE_TEXT_PROMPT, STANDARD_ITEMS, TEMPLATES
from surveys.models import (
    SCALE_MAX,
    SCALE_MIN,
    TEXT_ANSWER_MAX,
    Answer,
    Participation,
    PendingPool,
    Question,
    Response,
    RoundTeam,
    Survey,
    SurveyRound,
)

ANSWERING_ROLES = (Membership.Role.MEMBER, Membership.Role.LEADER)
ANSWER_LINK_SALT = "surveys.answer-link"
_random = secrets.SystemRandom()


class AlreadyAnswered(Exception):
    """This person has already answered this round (one answer per person per round)."""


def may_create_survey(*, access: Access) -> bool:
    """The strategy office and leaders (for their teams) create surveys and send rounds."""
    return access.is_leader_anywhere


def survey_create(
    *, access: Access, user, strategy: Strategy, template: str, name: str = ""
) -> Survey:
    """A survey made from ``TEMPLATES[template]``: its scale items and, if the template has
    one, the optional free-text question. Raises PermissionDenied, ValidationError."""
    if not may_create_survey(access=access):
        raise PermissionDenied("Only the strategy office and leaders create surveys.")
    spec = TEMPLATES.get(template)
    if spec is None:
        raise ValidationError({"template": "Choose one of the templates."})
    with transaction.atomic():
        survey = Survey.objects.create(
            strategy=strategy,
            name=(name or spec.name).strip()[:160],
            template=spec.key,
            created_by=user,
            created_on=timezone.localdate(),
        )
        questions = [
            Question(survey=survey, order=i, code=code, text=STANDARD_ITEMS[code])
            for i, code in enumerate(spec.items)
        ]
        if spec.free_text:
            questions.append(
                Question(
                    survey=survey,
                    order=len(questions),
                    code=FREE_TEXT_CODE,
                    kind=Question.Kind.TEXT,
                    text=FREE_TEXT_PROMPT,
                )
            )
        Question.objects.bulk_create(questions)
    return survey


def round_send(
    *,
    access: Access,
    user,
    survey: Survey,
    label: str,
    opens_on: dt.date,
    closes_on: dt.date,
    team_ids: Iterable[int],
    message: str = "",
) -> SurveyRound:
    """Send ``survey`` to teams for a window (dates inclusive). Leaders send only to teams they
    lead (a role carries down). Records how many people each team invites (its members and
    leaders now). Raises PermissionDenied, ValidationError (field-keyed)."""
    team_ids = sorted({int(t) for t in team_ids})
    errors = {}
    if not team_ids:
        errors["team_ids"] = "Choose at least one team."
    elif not all(access.leads(t) for t in team_ids):
        raise PermissionDenied("You can send surveys only to teams you lead.")
    if closes_on < opens_on:
        errors["closes_on"] = "The survey must close on or after the day it opens."
    if not label.strip():
        errors["label"] = "Give the round a name, e.g. 'Q3 pulse'."
    if errors:
        raise ValidationError(errors)
    found = set(Team.objects.filter(id__in=team_ids).values_list("id", flat=True))
    if found != set(team_ids):
        raise ValidationError({"team_ids": "Unknown team."})
    invited = dict.fromkeys(team_ids, 0)
    for team_id in Membership.objects.filter(
        team_id__in=team_ids, role__in=ANSWERING_ROLES, user__is_active=True
    ).values_list("team_id", flat=True):
        invited[team_id] += 1
    with transaction.atomic():
        round_ = SurveyRound.objects.create(
            survey=survey,
            label=label.strip()[:80],
            opens_on=opens_on,
            closes_on=closes_on,
            created_by=user,
            message=message,
        )
        RoundTeam.objects.bulk_create(
            RoundTeam(round=round_, team_id=t, invited=invited[t]) for t in team_ids
        )
        round_invite(round_=round_)
    return round_


def answer_link_token(*, user_id: int, round_id: int) -> str:
    """The signed, per-person part of an e-mailed answer link (``surveys:answer-link``)."""
    return signing.dumps({"u": user_id, "r": round_id}, salt=ANSWER_LINK_SALT)


def round_invite(*, round_: SurveyRound) -> int:
    """Tell each person invited to ``round_`` (members and leaders of its teams) through the
    notification outbox and their preferences (``metrics.preferences.notification_send``,
    kind "reminder"), with a link signed for them. Once per person and round (dedupe key).
    Returns how many messages were written."""
    from django.contrib.auth import get_user_model

    from metrics.preferences import notification_send

    people = (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__team_id__in=RoundTeam.objects.filter(round=round_).values("team_id"),
            memberships__role__in=ANSWERING_ROLES,
        )
        .distinct()
    )
    written = 0
    for person in people:
        token = answer_link_token(user_id=person.pk, round_id=round_.pk)
        sent = notification_send(
            recipient=person,
            kind="reminder",
            subject_obj=round_.survey,
            title=f"Survey open until {date_text(round_.closes_on)}: {round_.survey.name}",
            text="A few questions, answered anonymously: results only show totals of several "
            "people, never your answers.",
            link=reverse("surveys:answer-link", args=[token]),
            dedupe_key=f"survey-round:{round_.pk}",
        )
        written += sent is not None
    return written


def may_manage_round(*, access: Access, round_: SurveyRound) -> bool:
    """Who closes and reopens a round: the office, or a leader of every team it was sent to."""
    team_ids = [rt.team_id for rt in round_.round_teams.all()]
    return access.is_office or (bool(team_ids) and all(access.leads(t) for t in team_ids))


def round_close(*, access: Access, round_: SurveyRound) -> SurveyRound:
    """Close a round early. Raises PermissionDenied."""
    if not may_manage_round(access=access, round_=round_):
        raise PermissionDenied("Only the leaders of its teams close a survey.")
    SurveyRound.objects.filter(id=round_.id).update(closed_early=True)
    round_.closed_early = True
    return round_


def round_reopen(*, access: Access, round_: SurveyRound, today: dt.date) -> SurveyRound:
    """Reopen a round closed early, only within its window. Raises PermissionDenied,
    ValidationError."""
    if not may_manage_round(access=access, round_=round_):
        raise PermissionDenied("Only the leaders of its teams reopen a survey.")
    if today > round_.closes_on:
        raise ValidationError("The window of this survey has ended; send a new round instead.")
    SurveyRound.objects.filter(id=round_.id).update(closed_early=False)
    round_.closed_early = False
    return round_


def answering_teams(*, user, round_: SurveyRound) -> list[Team]:
    """The round's teams ``user`` may answer for: those where they are a member or leader."""
    return list(
        Team.objects.filter(
            id__in=RoundTeam.objects.filter(round=round_).values("team_id"),
            memberships__user=user,
            memberships__role__in=ANSWERING_ROLES,
        )
        .distinct()
        .order_by("name", "id")
    )


def has_answered(*, user, round_: SurveyRound) -> bool:
    """True if the person took part in the round (their answers themselves are not linked to
    them)."""
    return Participation.objects.filter(round=round_, person=user).exists()


def response_clean(*, round_: SurveyRound, scale: dict, text: dict) -> tuple[dict, dict]:
    """Validated answers: every scale question answered with an integer 1-5 (required, so every
    item of a round rests on the same respondents), free text optional and at most 2000
    characters. Raises ValidationError keyed by question code."""
    errors: dict[str, str] = {}
    clean_scale, clean_text = {}, {}
    for q in round_.survey.questions.all():
        if q.kind == Question.Kind.SCALE:
            raw: Any = scale.get(q.code)  # None or any value: int() raises, caught below
            value: int | None
            try:
                value = int(raw)
            except (TypeError, ValueError):
                value = None
            if (
                value is None
                or not SCALE_MIN <= value <= SCALE_MAX
                or str(raw).strip() != str(value)
            ):
                errors[q.code] = "Choose a value from 1 to 5."
            else:
                clean_scale[q.code] = value
        else:
            answer = str(text.get(q.code) or "").strip()
            if len(answer) > TEXT_ANSWER_MAX:
                errors[q.code] = f"At most {TEXT_ANSWER_MAX} characters."
            elif "\x00" in answer:
                errors[q.code] = "This text contains a character that cannot be stored."
            elif answer:
                clean_text[q.code] = answer
    if errors:
        raise ValidationError(errors)
    return clean_scale, clean_text


def response_submit(
    *, user, round_: SurveyRound, team_id: int | None, scale: dict, text: dict, today: dt.date
) -> None:
    """Record ``user``'s answers to ``round_``, unlinked from them.

    In one transaction: the guard row (``Participation``; a second answer raises
    AlreadyAnswered), then the response goes to the round-and-team's pending pool at a random
    position; when the pool holds ``SURVEY_MIN_RESPONDENTS`` responses, ``pool_flush`` writes
    them. Nothing returned (there is nothing to refer to). Raises PermissionDenied (not invited,
    or the round is not open), ValidationError, AlreadyAnswered."""
    if not round_.is_open(today=today):
        raise PermissionDenied("This survey is not open.")
    teams = answering_teams(user=user, round_=round_)
    if not teams:
        raise PermissionDenied("This survey was not sent to your team.")
    if team_id is None and len(teams) == 1:
        team_id = teams[0].id
    if team_id not in {t.id for t in teams}:
        raise ValidationError({"team": "Choose the team you answer for."})
    clean_scale, clean_text = response_clean(round_=round_, scale=scale, text=text)
    try:
        with transaction.atomic():
            Participation.objects.create(round=round_, person=user)
            pool, _ = PendingPool.objects.select_for_update().get_or_create(
                round=round_, team_id=team_id
            )
            # Lock again after a create: two first answers then queue on the same row.
            pool = PendingPool.objects.select_for_update().get(id=pool.id)
            responses = list(pool.responses)
            responses.insert(
                _random.randint(0, len(responses)), {"scale": clean_scale, "text": clean_text}
            )
            pool.responses = responses
            if len(responses) >= anonymity.min_respondents():
                pool_flush(pool=pool)
            else:
                pool.save(update_fields=["responses"])
    except IntegrityError as exc:
        raise AlreadyAnswered("You have already answered this survey.") from exc


def pool_flush(*, pool: PendingPool) -> None:
    """Write a pool's responses (at least the threshold of them, so every change of a stored
    figure adds that many answers and no difference between two readings isolates fewer)
    together with the team's stored ones: all deleted and inserted again in a shuffled order
    with fresh random keys, so that keys and physical order follow nothing. Empties the pool.
    Call inside the transaction that holds the pool's row lock."""
    questions = {q.code: q for q in pool.round.survey.questions.all()}
    stored: list[dict] = []
    for response in Response.objects.filter(
        round_id=pool.round_id, team_id=pool.team_id
    ).prefetch_related("answers__question"):
        entry: dict[str, dict[str, Any]] = {"scale": {}, "text": {}}
        for answer in response.answers.all():
            if answer.value is not None:
                entry["scale"][answer.question.code] = answer.value
            else:
                entry["text"][answer.question.code] = answer.text
        stored.append(entry)
    everything = stored + list(pool.responses)
    _random.shuffle(everything)
    Response.objects.filter(round_id=pool.round_id, team_id=pool.team_id).delete()
    responses, answers = [], []
    for entry in everything:
        response = Response(round_id=pool.round_id, team_id=pool.team_id)
        responses.append(response)
        rows = [
            Answer(response=response, question=questions[code], value=value)
            for code, value in entry["scale"].items()
            if code in questions
        ] + [
            Answer(response=response, question=questions[code], text=value)
            for code, value in entry["text"].items()
            if code in questions
        ]
        _random.shuffle(rows)
        answers.extend(rows)
    Response.objects.bulk_create(responses)
    Answer.objects.bulk_create(answers)
    pool.responses = []
    pool.save(update_fields=["responses"])
