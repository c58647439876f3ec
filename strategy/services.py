"""Writes of the plan (teams, periods, strategies, themes, objectives) and of API tokens.

Callers check permissions with ``strategy.access`` first; these services validate (model
``full_clean``, which also checks the database constraints), write in a transaction and mark
the scores that depend on the change as stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from execsupport.validation import MAX_DATE, MIN_DATE
from strategy.access import access_for, assignee_changed, assignees_check
from strategy.keys import key_propose
from strategy.lifecycle import status_dependents_mark, status_read, status_transition_record
from strategy.models import (
    STRATEGY_OFFICE_GROUP,
    ApiToken,
    Membership,
    Objective,
    Period,
    Strategy,
    Team,
    Theme,
)
from strategy.people_services import membership_set
from strategy.signals import subjects_stale, token_created, tokens_revoked, work_edited
from strategy.subjects import SubjectType

TOKEN_MAX_PER_USER = 50


@transaction.atomic
def team_save(*, team: Team, version: int | None = None, leader=None, by=None) -> Team:
    """Create or update; ``version``: see ``objective_save``.

    ``leader``: a person to make a leader of the team as well, by ``by`` (through
    ``strategy.people_services.membership_set``: its role rules, an active person; other
    memberships are left as they are). Errors are raised before anything is written."""
    if leader is not None and not leader.is_active:
        raise ValidationError(
            {"leader": ValidationError(f"{leader} is not an active user.", code="inactive")}
        )
    team.full_clean()
    team.save(expected_version=version)
    if leader is not None:
        membership_set(person=leader, team=team, role=Membership.Role.LEADER, by=by)
    subjects_stale(subjects=[(SubjectType.TEAM, team.pk)])
    return team


@transaction.atomic
def period_save(*, period: Period, version: int | None = None) -> Period:
    """Create or update; ``version``: see ``objective_save``."""
    period.full_clean()
    period.save(expected_version=version)
    return period


def _months_later(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@transaction.atomic
def periods_year_create(*, year: int, first_month: int = 1) -> list[Period]:
    """Create a planning year and its four quarters: ``FY<year>`` (a year period) and
    ``Q1 <year>`` ... ``Q4 <year>``, the year starting on the 1st of ``first_month`` (1-12; a
    fiscal year starting in April is ``first_month=4``). Returns the five periods, year first.

    All or nothing: when a period of one of these names exists already, ``ValidationError`` on
    ``year`` names it and nothing is written.
    """
    if not MIN_DATE.year <= year < MAX_DATE.year:  # the year and its quarters within range
        raise ValidationError(
            {
                "year": ValidationError(
                    f"Enter a year from {MIN_DATE.year} to {MAX_DATE.year - 1}, such as 2027.",
                    code="invalid",
                )
            }
        )
    if not 1 <= first_month <= 12:
        raise ValidationError(
            {"first_month": ValidationError("Enter a month from 1 to 12.", code="invalid")}
        )
    start = dt.date(year, first_month, 1)
    periods = [
        Period(
            name=f"FY{year}",
            kind=Period.Kind.YEAR,
            start_date=start,
            end_date=_months_later(start, 12) - dt.timedelta(days=1),
        )
    ]
    for quarter in range(4):
        begins = _months_later(start, 3 * quarter)
        periods.append(
            Period(
                name=f"Q{quarter + 1} {year}",
                kind=Period.Kind.QUARTER,
                start_date=begins,
                end_date=_months_later(begins, 3) - dt.timedelta(days=1),
            )
        )
    taken = sorted(
        Period.objects.filter(name__in=[p.name for p in periods]).values_list("name", flat=True)
    )
    if taken:
        raise ValidationError(
            {
                "year": ValidationError(
                    f"These periods exist already: {', '.join(taken)}.", code="unique"
                )
            }
        )
    for period in periods:
        period_save(period=period)
    return periods


@transaction.atomic
def strategy_setup_skip(*, strategy: Strategy, step: str, skipped: bool) -> Strategy:
    """Mark a step of the setup checklist skipped (or taken up again) for this strategy.

    ``step``: one of ``strategy.setup.SKIPPABLE_STEPS`` (``ValidationError`` on ``step``
    otherwise). Stored on the strategy (``setup_skipped``), so everyone in the strategy
    office sees the same checklist. Only that field is written, under a row lock."""
    from strategy.setup import SKIPPABLE_STEPS

    if step not in SKIPPABLE_STEPS:
        raise ValidationError(
            {"step": ValidationError(f"No setup step {step!r} can be skipped.", code="invalid")}
        )
    locked = Strategy.objects.select_for_update().get(pk=strategy.pk)
    keys = [key for key in locked.setup_skipped if key != step]
    if skipped:
        keys.append(step)
    strategy.setup_skipped = [key for key in SKIPPABLE_STEPS if key in keys]
    strategy.save(update_fields=["setup_skipped"])
    return strategy


@transaction.atomic
def office_person_ensure(*, username: str, email: str = ""):
    """The strategy-office person a setup link is made for: created (active, no usable
    password: they choose one through the link) and put in the "Strategy office" group when
    missing. An existing person must already be in the office (superuser or the group):
    ``ValidationError`` on ``username`` otherwise, so a link never promotes anyone."""
    from django.contrib.auth.models import Group

    users = get_user_model()
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": "Enter a username."})
    user = users._default_manager.filter(username=username).first()
    if user is not None:
        if not user.is_active:
            raise ValidationError({"username": f"{username} is deactivated."})
        if not access_for(user).is_office:
            raise ValidationError(
                {
                    "username": f"{username} exists and is not in the strategy office; "
                    "add them to the group in the admin, or choose another username."
                }
            )
        return user
    user = users(username=username, email=email, is_active=True)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get_or_create(name=STRATEGY_OFFICE_GROUP)[0])
    return user


def _owner_check(instance) -> None:
    """A new owner of ``instance`` (or a new team for its owner) must be able to see it
    (``strategy.access.assignees_check``): ``ValidationError`` on ``owner``."""
    if instance.owner_id is not None and assignee_changed(instance, "owner", "team"):
        assignees_check(field="owner", people=[instance.owner], subject=instance, role="own it")


@transaction.atomic
def strategy_save(*, strategy: Strategy, version: int | None = None) -> Strategy:
    """Create or update; ``version``: see ``objective_save``."""
    strategy.full_clean()
    _owner_check(strategy)
    strategy.save(expected_version=version)
    subjects_stale(subjects=[(SubjectType.STRATEGY, strategy.pk)])
    return strategy


@transaction.atomic
def theme_save(*, theme: Theme, version: int | None = None) -> Theme:
    """Create or update; ``version``: see ``objective_save``."""
    theme.full_clean()
    theme.save(expected_version=version)
    subjects_stale(subjects=[(SubjectType.THEME, theme.pk)])
    return theme


@transaction.atomic
def objective_save(*, objective: Objective, version: int | None = None, by=None) -> Objective:
    """Create or update an objective (validated: no cycle, theme of the same strategy...).

    An update writes only the fields changed since the objective was read. ``version``: the
    version the person read (a form's hidden field, the API's If-Match); if someone else saved
    it since, ``strategy.models.VersionConflict`` is raised and nothing is written. An empty
    ``key`` is proposed from the title (``strategy.keys.key_propose``).

    A changed status is recorded (``StatusTransition``: ``by``, now, from, to) and the KPIs and
    initiatives under the objective are recomputed (a closed objective's KPIs stop alerting).
    """
    from_status = status_read(instance=objective)
    if by is not None:
        objective._history_user = by  # who, in the history, also outside a request
    if not objective.key:
        objective.key = key_propose(model=Objective, title=objective.title, pk=objective.pk)
    objective.full_clean()
    _owner_check(objective)
    creating = objective._state.adding
    fields = objective.changed_fields()
    previous = {**getattr(objective, "_loaded_values", {}), "status": from_status}
    objective.save(expected_version=version)
    if from_status is not None and from_status != objective.status:
        status_transition_record(instance=objective, from_status=from_status, by=by)
        status_dependents_mark(objective_ids=[objective.pk])
    subjects_stale(
        subjects=[(SubjectType.OBJECTIVE, objective.pk), (SubjectType.TEAM, objective.team_id)]
    )
    work_edited.send(
        sender=Objective,
        instance=objective,
        by=by,
        created=creating,
        changed=fields,
        previous=previous,
    )
    return objective


@transaction.atomic
def plan_object_delete(*, instance: models.Model) -> None:
    """Delete a team, period, strategy, theme or objective. Rows that still refer to it
    (``PROTECT``) make this raise ``ProtectedError``: nothing is deleted by cascade surprise."""
    instance.delete()


# --- people who leave -----------------------------------------------------------------------
# --- API tokens -----------------------------------------------------------------------------
def _validate_scopes(*, user, scopes: Iterable[str]) -> list[str]:
    scopes = list(dict.fromkeys(scopes))
    known = set(ApiToken.Scope.values)
    unknown = [s for s in scopes if s not in known]
    if unknown or not scopes:
        raise ValidationError(
            {"scopes": f"Choose one or more of {', '.join(sorted(known))}; got {scopes!r}."}
        )
    access = access_for(user)
    if not access.sees_anything:
        raise ValidationError({"user": f"{user} has no role in any team: a token would be idle."})
    if set(scopes) - {ApiToken.Scope.READ} and not access.can_contribute:
        raise ValidationError({"scopes": f"{user} only reads: a token can only have 'read'."})
    return scopes


@transaction.atomic
def token_create(
    *,
    user,
    name: str,
    scopes: Iterable[str],
    created_by,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns ``(token, secret)``. The secret is not stored (only
    its SHA-512 digest) and cannot be shown again.

    A person creates tokens for themselves; the strategy office may create them for anyone.
    Scopes beyond what the person may do are refused (a viewer gets ``read`` only).
    """
    if created_by.pk != user.pk and not access_for(created_by).is_office:
        raise PermissionDenied("Only the strategy office creates tokens for someone else.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it."})
    if len(name) > 100:
        raise ValidationError({"name": "At most 100 characters."})
    now = timezone.now()
    longest = now + dt.timedelta(days=settings.API_TOKEN_MAX_TTL_DAYS)
    if expires_at is None:
        expires_at = longest  # no token lives forever
    if expires_at <= now:
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if expires_at > longest + dt.timedelta(minutes=1):
        raise ValidationError(
            {
                "expires_at": f"At most {settings.API_TOKEN_MAX_TTL_DAYS} days from now "
                "(API_TOKEN_MAX_TTL_DAYS)."
            }
        )
    scopes = _validate_scopes(user=user, scopes=scopes)
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= TOKEN_MAX_PER_USER:
        raise ValidationError({"user": f"{user} already has {active} tokens; revoke some first."})
    token, secret = ApiToken.objects.create(
        user=user, expiry=None, name=name, scopes=scopes, created_by=created_by
    )
    token.expiry = expires_at
    token.save(update_fields=["expiry"])
    token_created.send(sender=ApiToken, token=token, created_by=created_by)
    return token, secret


def tokens_revoke_for_user(*, user_id: int) -> int:
    """Revoke every live token of this person now (their password changed or they were
    deactivated: whoever held a token in their name must ask again). Returns how many."""
    live = ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True)
    ids = list(live.values_list("pk", flat=True))
    if not ids:
        return 0
    done = ApiToken.objects.filter(pk__in=ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    tokens_revoked.send(
        sender=ApiToken, user=user, token_ids=ids, by=None, reason="credentials_changed"
    )
    return done


def token_revoke(*, token: ApiToken, by) -> bool:
    """Revoke now (kept for the audit trail). ``False`` if it was already revoked."""
    if by.pk != token.user_id and not access_for(by).is_office:
        raise PermissionDenied("Only the token's owner or the strategy office revokes it.")
    now = timezone.now()
    done = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now) == 1
    if done:
        token.revoked_at = now
        tokens_revoked.send(
            sender=ApiToken, user=token.user, token_ids=[token.pk], by=by, reason="revoked"
        )
    return done
