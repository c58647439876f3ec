"""Invitations: a person is created by the strategy office or a team leader and sets their own
password through a signed, expiring, single-use link.

The link (``/invitations/<token>/``) carries a token signed with ``django.core.signing`` (the
``SECRET_KEY``, salted for this purpose) naming the invitation and the moment it was last sent.
It works:

* until ``INVITATION_TTL_DAYS`` after that moment (then: "expired", a resend gives a new one);
* only for the latest sending: a resend replaces every earlier link ("replaced");
* once: when the password is set the invitation is accepted ("used"); a person who already has
  a password (set through a password reset meanwhile) has used it too.

When the configured e-mail backend delivers nothing to the invited person (console, file,
in-memory or dummy backend: ``email_reaches_people`` is false) the link is shown to the person
who invited, and printed by ``manage.py invite_person``, instead of being lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from strategy.access import access_for
from strategy.models import Invitation, Membership, Team

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

SIGNING_SALT = "execsupport.invitation"  # a namespace for the signature, not a secret

# E-mail backends that deliver nothing to the person addressed: with these the link is shown.
UNDELIVERING_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    }
)


def email_reaches_people() -> bool:
    """Whether mails sent now reach their addressee (an SMTP server or another real backend
    is configured), read from ``EMAIL_BACKEND`` at each call."""
    return settings.EMAIL_BACKEND not in UNDELIVERING_BACKENDS


@dataclass(frozen=True)
class InvitationSent:
    """What the inviting person is told: the invitation, its link (absolute URL) and whether it
    was mailed (``mailed``) or must be passed on by hand (``show_link``)."""

    invitation: Invitation
    url: str
    mailed: bool
    show_link: bool


@dataclass(frozen=True)
class InvitationCheck:
    """The state of a link: ``valid``, ``expired``, ``replaced`` (a newer link was sent),
    ``used`` or ``invalid`` (not a link of ours); ``invitation`` when known."""

    state: str
    invitation: Invitation | None = None


def _stamp(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def invitation_token(*, invitation: Invitation) -> str:
    """The signed token of the invitation's latest sending."""
    return signing.dumps({"i": invitation.pk, "s": _stamp(invitation.sent_at)}, salt=SIGNING_SALT)


def invitation_url(*, invitation: Invitation) -> str:
    """The absolute link (``SITE_URL`` + path) of the invitation's latest sending."""
    path = reverse(
        "strategy:invitation-accept", kwargs={"token": invitation_token(invitation=invitation)}
    )
    return settings.SITE_URL.rstrip("/") + path


def invitation_check(*, token: str, now: dt.datetime | None = None) -> InvitationCheck:
    """Read a link's token: see ``InvitationCheck`` for the states. Used beats expired (the
    person already has a password: tell them to sign in), expired beats replaced."""
    now = now or timezone.now()
    try:
        payload = signing.loads(token, salt=SIGNING_SALT)
        invitation_id, stamp = int(payload["i"]), int(payload["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return InvitationCheck("invalid")
    invitation = Invitation.objects.select_related("user", "team").filter(pk=invitation_id).first()
    if invitation is None:
        return InvitationCheck("invalid")
    if invitation.accepted_at is not None or invitation.user.has_usable_password():
        return InvitationCheck("used", invitation)
    if not invitation.user.is_active:
        return InvitationCheck("invalid", invitation)
    ttl = dt.timedelta(days=settings.INVITATION_TTL_DAYS).total_seconds() * 1_000_000
    if _stamp(now) - stamp > ttl:
        return InvitationCheck("expired", invitation)
    if stamp != _stamp(invitation.sent_at):
        return InvitationCheck("replaced", invitation)
    return InvitationCheck("valid", invitation)


def _username_for(email: str) -> str:
    """The e-mail address as username (what the person types to sign in), made unique."""
    users = get_user_model().objects
    base = email.lower()[:140]
    candidate, n = base, 1
    while users.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _send(*, invitation: Invitation, url: str) -> bool:
    """Mail the link (after the transaction commits); ``False`` when sending failed."""
    user = invitation.user
    inviter = invitation.invited_by
    who = (inviter.get_full_name() or inviter.get_username()) if inviter else "The strategy office"
    where = f" to the team “{invitation.team.name}”" if invitation.team is not None else ""
    body = (
        f"Hello {user.get_full_name() or user.email},\n\n"
        f"{who} invites you to ExecSupport{where}.\n\n"
        f"Set your password here (the link works once, for {settings.INVITATION_TTL_DAYS} days):\n"
        f"{url}\n\n"
        f"Your username is: {user.get_username()}\n"
    )
    message = EmailMessage(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}You are invited to ExecSupport",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    try:
        return bool(message.send())
    except Exception as exc:  # an unreachable server must not lose the invitation
        logger.warning("Invitation %s not mailed: %s", invitation.pk, exc)
        return False


def _deliver(invitation: Invitation) -> InvitationSent:
    url = invitation_url(invitation=invitation)
    mailed = _send(invitation=invitation, url=url)
    real = email_reaches_people()
    return InvitationSent(
        invitation=invitation, url=url, mailed=mailed and real, show_link=not (mailed and real)
    )


def person_invite(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    team: Team,
    role: str,
    by: User | None,
) -> InvitationSent:
    """Create an account for ``email`` (no usable password yet), give it ``role`` on ``team``
    and send the invitation link.

    Errors: ``PermissionDenied`` when ``by`` may not grant ``role`` on ``team``
    (``Access.can_grant_role``: the office, or a leader of the team or a team above it;
    ``by=None``: the server's own command, ``manage.py invite_person``);
    ``ValidationError`` on ``email`` when it is not an address or someone already has it (a
    pending invitation is resent instead, see ``invitation_resend``), on ``role`` when unknown.
    """
    if role not in Membership.Role.values:
        raise ValidationError({"role": ValidationError("Choose a role.", code="invalid_choice")})
    if by is not None and not access_for(by).can_grant_role(team.pk, role):
        raise PermissionDenied(
            "You can invite people only to teams you lead, with a role no higher than yours."
        )
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": error}) from None
    user_model = get_user_model()
    existing = user_model.objects.filter(email__iexact=email).first()
    if existing is not None:
        pending = (
            not existing.has_usable_password()
            and existing.invitations.filter(accepted_at__isnull=True).exists()
        )
        hint = (
            " An invitation is pending: resend it from their page."
            if pending
            else " Add them to the team from their page instead."
        )
        raise ValidationError(
            {"email": ValidationError(f"{email} already has an account.{hint}", code="unique")}
        )
    with transaction.atomic():
        user = user_model(
            username=_username_for(email),
            email=email,
            first_name=(first_name or "").strip()[:150],
            last_name=(last_name or "").strip()[:150],
            is_active=True,
        )
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        Membership.objects.create(user=user, team=team, role=role)
        now = timezone.now()
        invitation = Invitation.objects.create(
            user=user, invited_by=by, team=team, role=role, created_at=now, sent_at=now
        )
    return _deliver(invitation)


def invitation_resend(*, invitation: Invitation, by: User) -> InvitationSent:
    """Send a new link (valid ``INVITATION_TTL_DAYS`` from now); earlier links stop working.

    Errors: ``PermissionDenied`` unless ``by`` may manage the invited person's team (or is
    the office); ``ValidationError`` when the invitation was already used or the person was
    deactivated."""
    access = access_for(by)
    team_id = invitation.team_id
    if not (access.is_office or (team_id is not None and access.can_manage_memberships(team_id))):
        raise PermissionDenied("Only the strategy office or the team's leaders resend it.")
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("user", "team")
            .get(pk=invitation.pk)
        )
        if locked.accepted_at is not None or locked.user.has_usable_password():
            raise ValidationError("This invitation was already used: the person has a password.")
        if not locked.user.is_active:
            raise ValidationError("This person was deactivated.")
        locked.sent_at = timezone.now()
        locked.times_sent += 1
        locked.invited_by = by
        locked.save(update_fields=["sent_at", "times_sent", "invited_by"])
    return _deliver(locked)


def invitation_pending(*, user: User) -> Invitation | None:
    """The person's latest invitation not yet used, if they have no password yet."""
    if user.has_usable_password():
        return None
    return user.invitations.filter(accepted_at__isnull=True).select_related("team").first()


def invitation_accept(*, token: str, password1: str, password2: str) -> User:
    """Set the invited person's password (the password validators apply) and mark the
    invitation used, exactly once.

    Errors: ``ValidationError`` with a ``state`` code (``expired``, ``replaced``, ``used``,
    ``invalid``) when the link no longer works, or on ``password1`` / ``password2``.
    """
    with transaction.atomic():
        check = invitation_check(token=token)
        if check.state != "valid":
            raise ValidationError("This link no longer works.", code=check.state)
        invitation = check.invitation
        assert invitation is not None  # a valid link has its invitation
        user = get_user_model().objects.select_for_update().get(pk=invitation.user_id)
        if password1 != password2:
            raise ValidationError(
                {"password2": ValidationError("The two passwords differ.", code="mismatch")}
            )
        try:
            password_validation.validate_password(password1, user)
        except ValidationError as error:
            raise ValidationError({"password1": error.error_list}) from None
        # Guarded: two tabs posting at once set the password once.
        if not Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now()
        ):
            raise ValidationError("This link was already used.", code="used")
        user.set_password(password1)
        user.save(update_fields=["password"])
    return user
