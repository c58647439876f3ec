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

from metrics.models import SubjectType
from metrics.services import subjects_mark_dirty
from strategy.access import access_for
from strategy.lifecycle import status_dependents_mark, status_read, status_transition_record
from strategy.models import ApiToken, HandOver, Objective, Period, Strategy, Team, Theme
from strategy.signals import token_created, tokens_revoked

TOKEN_MAX_PER_USER = 50


@transaction.atomic
def team_save(*, team: Team, version: int | None = None) -> Team:
    """Create or update; ``version``: see ``objective_save``."""
    team.full_clean()
    team.save(expected_version=version)
    subjects_mark_dirty(subjects=[(SubjectType.TEAM, team.pk)])
    return team


@transaction.atomic
def period_save(*, period: Period, version: int | None = None) -> Period:
    """Create or update; ``version``: see ``objective_save``."""
    period.full_clean()
    period.save(expected_version=version)
    return period


@transaction.atomic
def strategy_save(*, strategy: Strategy, version: int | None = None) -> Strategy:
    """Create or update; ``version``: see ``objective_save``."""
    strategy.full_clean()
    strategy.save(expected_version=version)
    subjects_mark_dirty(subjects=[(SubjectType.STRATEGY, strategy.pk)])
    return strategy


@transaction.atomic
def theme_save(*, theme: Theme, version: int | None = None) -> Theme:
    """Create or update; ``version``: see ``objective_save``."""
    theme.full_clean()
    theme.save(expected_version=version)
    subjects_mark_dirty(subjects=[(SubjectType.THEME, theme.pk)])
    return theme


@transaction.atomic
def objective_save(*, objective: Objective, version: int | None = None, by=None) -> Objective:
    """Create or update an objective (validated: no cycle, theme of the same strategy...).

    An update writes only the fields changed since the objective was read. ``version``: the
    version the person read (a form's hidden field, the API's If-Match); if someone else saved
    it since, ``strategy.models.VersionConflict`` is raised and nothing is written.

    A changed status is recorded (``StatusTransition``: ``by``, now, from, to) and the KPIs and
    initiatives under the objective are recomputed (a closed objective's KPIs stop alerting).
    """
    from_status = status_read(instance=objective)
    objective.full_clean()
    objective.save(expected_version=version)
    if from_status is not None and from_status != objective.status:
        status_transition_record(instance=objective, from_status=from_status, by=by)
        status_dependents_mark(objective_ids=[objective.pk])
    subjects_mark_dirty(
        subjects=[(SubjectType.OBJECTIVE, objective.pk), (SubjectType.TEAM, objective.team_id)]
    )
    return objective


@transaction.atomic
def plan_object_delete(*, instance: models.Model) -> None:
    """Delete a team, period, strategy, theme or objective. Rows that still refer to it
    (``PROTECT``) make this raise ``ProtectedError``: nothing is deleted by cascade surprise."""
    instance.delete()


# --- people who leave -----------------------------------------------------------------------
@transaction.atomic
def person_hand_over(*, leaving, successor, by) -> HandOver:
    """Move everything ``leaving`` owns (objectives, initiatives, KPIs) to ``successor`` and
    record it (``HandOver``: who, when, how many).

    Only the strategy office hands over (``PermissionDenied``). The successor must be an active
    person other than the leaving one (``ValidationError`` on ``successor``). Each moved row's
    version is raised (a form opened before still showing the old owner is refused) and its
    score marked for recomputation, so its alerts route to the successor on the next run.
    Set-based: three updates and three id reads, whatever the number of rows.
    """
    from initiatives.models import Initiative
    from metrics.models import KPI

    if not access_for(by).is_office:
        raise PermissionDenied("Only the strategy office hands work over.")
    if successor.pk == leaving.pk:
        raise ValidationError(
            {
                "successor": ValidationError(
                    "Choose someone other than the person leaving.", code="inconsistent"
                )
            }
        )
    if not successor.is_active:
        raise ValidationError(
            {"successor": ValidationError(f"{successor} is not an active user.", code="inactive")}
        )
    now = timezone.now()
    moved: dict[str, int] = {}
    dirty: list[tuple[str, int]] = []
    for name, model, subject_type in (
        ("objectives", Objective, SubjectType.OBJECTIVE),
        ("initiatives", Initiative, SubjectType.INITIATIVE),
        ("kpis", KPI, SubjectType.KPI),
    ):
        ids = list(
            model.objects.select_for_update().filter(owner=leaving).values_list("id", flat=True)
        )
        model.objects.filter(id__in=ids).update(
            owner=successor, updated_at=now, version=models.F("version") + 1
        )
        moved[name] = len(ids)
        dirty += [(subject_type, i) for i in ids]
    subjects_mark_dirty(subjects=dirty)
    return HandOver.objects.create(
        leaving=leaving, successor=successor, done_by=by, done_at=now, **moved
    )


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
