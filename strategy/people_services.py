"""Writes about people: memberships, deactivation (with the hand-over of their work) and
password resets sent by the strategy office. Invitations: ``strategy.invitations``.

Every service checks the rule of ``strategy.access`` itself (the pages and the API call the
same functions), validates, and writes in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from strategy.access import access_for, people_names
from strategy.invitations import email_reaches_people
from strategy.models import HandOver, Membership, Team, history_m2m_record
from strategy.ownership import owned_kinds
from strategy.quantities import count_text
from strategy.signals import subjects_stale
from strategy.subjects import SubjectType

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _refuse_roles(*, access, team_id: int, old: str | None, new: str | None) -> None:
    if new is not None and new not in Membership.Role.values:
        raise ValidationError({"role": ValidationError("Choose a role.", code="invalid_choice")})
    if not access.can_manage_memberships(team_id):
        raise PermissionDenied("You manage the memberships of the teams you lead only.")
    if new is None:
        allowed = access.can_remove_membership(team_id, old)
    else:
        allowed = access.can_change_membership(team_id, old, new)
    if not allowed:
        raise PermissionDenied("You cannot grant or change a role above your own.")


@transaction.atomic
def membership_set(*, person: User, team: Team, role: str, by: User) -> Membership:
    """Give ``person`` the role ``role`` on ``team`` (creating the membership or changing its
    role). Errors: ``PermissionDenied`` (``Access.can_change_membership``: a leader of the team
    or a team above it, granting no role above their own, nor changing one above theirs);
    ``ValidationError`` on ``role`` (unknown) or ``person`` (deactivated)."""
    access = access_for(by)
    current = Membership.objects.select_for_update().filter(user=person, team=team).first()
    _refuse_roles(access=access, team_id=team.pk, old=current.role if current else None, new=role)
    if not person.is_active:
        raise ValidationError(
            {"person": ValidationError(f"{person} is deactivated.", code="inactive")}
        )
    if current is None:
        current = Membership.objects.create(user=person, team=team, role=role)
    elif current.role != role:
        current.role = role
        current.save()
    subjects_stale(subjects=[(SubjectType.TEAM, team.pk)])
    return current


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    """Remove a membership. ``PermissionDenied`` unless ``by`` could grant its role there."""
    access = access_for(by)
    _refuse_roles(access=access, team_id=membership.team_id, old=membership.role, new=None)
    Membership.objects.filter(pk=membership.pk).delete()
    subjects_stale(subjects=[(SubjectType.TEAM, membership.team_id)])


def person_owned_counts(*, person: User) -> dict[str, int]:
    """How many of each kind of work ``person`` owns (``strategy.ownership``: objectives,
    initiatives, KPIs and active alerts), by kind name; one count per kind."""
    return {kind.name: kind.owned_by(person).count() for kind in owned_kinds()}


@transaction.atomic
def person_deactivate(*, person: User, successor: User | None, by: User) -> HandOver | None:
    """Deactivate ``person`` (they can no longer sign in; their API tokens are revoked by
    ``strategy.receivers``), first handing their work over to ``successor``
    (``person_hand_over``). Their memberships stay, for the record.

    Errors: ``PermissionDenied`` (office only; nobody deactivates themselves);
    ``ValidationError`` on ``successor`` when they own work and none is given (or the
    successor is refused by the hand-over), on ``person`` when already deactivated."""
    access = access_for(by)
    if not access.can_administer_accounts():
        raise PermissionDenied("Only the strategy office deactivates people.")
    if person.pk == by.pk:
        raise PermissionDenied("You cannot deactivate yourself.")
    person = get_user_model().objects.select_for_update().get(pk=person.pk)
    if not person.is_active:
        raise ValidationError(
            {"person": ValidationError(f"{person} is already deactivated.", code="inactive")}
        )
    done = None
    if successor is not None:
        done = person_hand_over(leaving=person, successor=successor, by=by)
    elif any(person_owned_counts(person=person).values()):
        raise ValidationError(
            {
                "successor": ValidationError(
                    "They own work: choose who takes it over.", code="required"
                )
            }
        )
    person.is_active = False
    person.save(update_fields=["is_active"])
    return done


@dataclass(frozen=True)
class ResetSent:
    """A password reset sent by the office: the link, and whether it must be shown."""

    url: str
    show_link: bool


def person_password_reset_send(*, person: User, by: User, request) -> ResetSent:
    """Send ``person`` a password-reset link (django-allauth's: single use, valid
    ``PASSWORD_RESET_TIMEOUT``), mailed to their address; when mail reaches nobody
    (``email_reaches_people``) the link is returned to be shown to the office.

    Errors: ``PermissionDenied`` (office only), ``ValidationError`` on ``person`` when
    deactivated or without an e-mail address."""
    from allauth.account import app_settings as allauth_settings
    from allauth.account.adapter import get_adapter
    from allauth.account.utils import user_pk_to_url_str

    if not access_for(by).can_administer_accounts():
        raise PermissionDenied("Only the strategy office sends password resets.")
    if settings.SSO_ONLY:
        raise PermissionDenied("Passwords are off: people sign in with single sign-on.")
    if not person.is_active:
        raise ValidationError({"person": ValidationError("They are deactivated.", code="inactive")})
    if not person.email:
        raise ValidationError({"person": ValidationError("They have no e-mail address.")})
    token = allauth_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(person)
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(person), "key": token},
    )
    url = settings.SITE_URL.rstrip("/") + path
    adapter = get_adapter(request)
    mailed = True
    try:
        adapter.send_password_reset_mail(
            person,
            person.email,
            {
                "user": person,
                "password_reset_url": url,
                "uid": user_pk_to_url_str(person),
                "key": token,
                "request": request,
                "username": person.get_username(),
            },
        )
    except Exception:  # an unreachable server: the office passes the link on
        mailed = False
    return ResetSent(url=url, show_link=not (mailed and email_reaches_people()))


@transaction.atomic
def person_hand_over(*, leaving, successor, by) -> HandOver:
    """Move everything ``leaving`` owns (objectives, initiatives, KPIs, open or acknowledged
    alerts) to ``successor`` and record it (``HandOver``: who, when, how many).

    Only the strategy office hands over (``PermissionDenied``). The successor must be an active
    person other than the leaving one (``ValidationError`` on ``successor``). Each moved row's
    version is raised (a form opened before still showing the old owner is refused) and its
    score marked for recomputation, so its alerts route to the successor on the next run; each
    move is in the object's history (by ``by``, with the reason "Handed over from ...").
    Set-based: per kind an id read, an update, a read and an insert of history rows (and one
    update of the alerts), whatever the number of rows.
    """
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
    _hand_over_visible_check(leaving=leaving, successor=successor)
    now = timezone.now()
    moved: dict[str, int] = {}
    dirty: list[tuple[str, int]] = []
    for kind in owned_kinds():
        if kind.subject_type is None:
            # Open and acknowledged alerts, at once: the next recompute would route them to
            # the new owner anyway, but until then nobody active would be told or could act.
            moved[kind.name] = kind.owned_by(leaving).update(owner=successor)
            continue
        model = kind.model
        ids = list(kind.owned_by(leaving).select_for_update().values_list("id", flat=True))
        model._default_manager.filter(id__in=ids).update(
            owner=successor, updated_at=now, version=models.F("version") + 1
        )
        # The history of each moved definition (one read, one insert per batch).
        records = model.history.bulk_history_create(  # type: ignore[attr-defined]  # simple_history's manager
            list(model._default_manager.filter(id__in=ids)),
            update=True,
            default_user=by,
            default_change_reason=f"Handed over from {leaving} to {successor}",
            default_date=now,
            batch_size=1000,
        )
        history_m2m_record(model=model, records=records)  # an initiative's contributors
        moved[kind.name] = len(ids)
        dirty += [(kind.subject_type, i) for i in ids]
    subjects_stale(subjects=dirty)
    return HandOver.objects.create(
        leaving=leaving, successor=successor, done_by=by, done_at=now, **moved
    )


def _hand_over_visible_check(*, leaving, successor) -> None:
    """Refuse a successor who may not see some of the work handed over (the rule of
    ``strategy.access``: nobody owns what they cannot see): ``ValidationError`` on
    ``successor`` saying how many items of each kind they cannot see (counted, not named:
    the message is about what is hidden from the successor). Two counts per kind at most."""
    access = access_for(successor)
    kinds = owned_kinds()
    hidden = {kind.name: access.count_hidden(kind.owned_by(leaving)) for kind in kinds}
    total = sum(hidden.values())
    if not total:
        return
    parts = ", ".join(
        count_text(hidden[kind.name], kind.one) for kind in kinds if hidden[kind.name]
    )
    raise ValidationError(
        {
            "successor": ValidationError(
                f"{people_names([successor])} cannot see {count_text(total, 'item')} of the "
                f"work to hand over ({parts}): they are in teams hidden from them. Choose a "
                "successor who can see them, or give them a role on those teams first.",
                code="cannot_see",
            )
        }
    )
