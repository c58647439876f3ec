"""Signing in and out, and the second factor: Django's and django-axes' sign-in signals, and
allauth's second factor signals (when ``allauth.mfa`` is installed)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from security.models import SecurityEvent
from security.services import security_event_record, security_failure_record

Kind = SecurityEvent.Kind
TYPED_NAME_MAX = 255


# --- signing in and out -----------------------------------------------------------------------
def _path(request) -> str:
    return getattr(request, "path", "")[:200] if request is not None else ""


def on_logged_in(sender, request, user, **kwargs) -> None:
    """Log a sign-in."""
    security_event_record(
        kind=Kind.SIGN_IN,
        request=request,
        actor=user,
        subject=user,
        details={"path": _path(request)},
    )


def on_logged_out(sender, request, user, **kwargs) -> None:
    """Log a sign-out (nothing when nobody was signed in)."""
    if user is None:
        return  # signing out when not signed in: nothing happened
    security_event_record(kind=Kind.SIGN_OUT, request=request, actor=user, subject=user, details={})


def _typed_username(credentials: dict | None) -> str:
    field = get_user_model().USERNAME_FIELD
    typed = (credentials or {}).get(field) or (credentials or {}).get("username") or ""
    return str(typed).replace("\x00", "\ufffd")[:TYPED_NAME_MAX]


def _person_named(name: str):
    if not name:
        return None
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: name[:150]}).first()


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """A wrong password, an unknown name or a locked account. Keyed by the name typed: an
    account's failures from one address count in one row per window. The password Django
    passes (masked) is not kept."""
    typed = _typed_username(credentials)
    security_failure_record(
        kind=Kind.SIGN_IN_FAILED,
        key=f"name:{typed}",
        request=request,
        subject=_person_named(typed),
        subject_name=typed,
        details={"path": _path(request)},
    )


def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    """Log a django-axes lock-out of the name typed (counted per window)."""
    typed = str(username or "")[:TYPED_NAME_MAX]
    security_failure_record(
        kind=Kind.LOCKED_OUT,
        key=f"name:{typed}",
        request=request,
        subject=_person_named(typed),
        subject_name=typed,
        details={
            "path": _path(request),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cool_off_hours": settings.AXES_COOLOFF_TIME,
        },
    )


# --- second factor (django-allauth's mfa) -----------------------------------------------------
def _authenticator(authenticator) -> dict[str, Any]:
    return {"authenticator_id": authenticator.pk, "type": str(authenticator.type)}


def _mfa_receiver(kind: str):
    def receiver(sender, request, user, authenticator, **kwargs) -> None:
        security_event_record(
            kind=kind, request=request, subject=user, details=_authenticator(authenticator)
        )

    receiver.__name__ = f"on_{kind}"
    return receiver


def on_mfa_failed(sender, request, user, authenticator=None, **kwargs) -> None:
    """Log a failed second factor (counted per window and account)."""
    security_failure_record(
        kind=Kind.MFA_FAILED,
        key=f"user:{user.pk}",
        request=request,
        subject=user,
        details=_authenticator(authenticator) if authenticator is not None else {},
    )
