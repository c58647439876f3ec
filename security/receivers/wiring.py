"""The connection of every receiver (``connect``), once, from ``SecurityConfig.ready``."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import signals as auth_signals
from django.db.models import signals as model_signals

from security.models import SecurityEvent
from security.receivers.changes import (
    MEMBERSHIP_FIELDS,
    TEAM_FIELDS,
    WEBHOOK_FIELDS,
    _stash,
    on_account_pre_save,
    on_account_saved,
    on_groups_changed,
    on_membership_deleted,
    on_membership_saved,
    on_team_saved,
    on_webhook_deleted,
    on_webhook_saved,
)
from security.receivers.signing_in import (
    _mfa_receiver,
    on_locked_out,
    on_logged_in,
    on_logged_out,
    on_login_failed,
    on_mfa_failed,
)
from security.receivers.tokens import on_token_created, on_tokens_revoked

Kind = SecurityEvent.Kind


def connect() -> None:
    """Connect every receiver (``dispatch_uid``: once, however often it is called)."""
    from axes.signals import user_locked_out

    from strategy.signals import token_created, tokens_revoked

    user_model = settings.AUTH_USER_MODEL
    auth_signals.user_logged_in.connect(on_logged_in, dispatch_uid="security_logged_in")
    auth_signals.user_logged_out.connect(on_logged_out, dispatch_uid="security_logged_out")
    auth_signals.user_login_failed.connect(on_login_failed, dispatch_uid="security_login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="security_locked_out")
    token_created.connect(on_token_created, dispatch_uid="security_token_created")
    tokens_revoked.connect(on_tokens_revoked, dispatch_uid="security_tokens_revoked")

    for label, fields, saved, deleted in (
        ("strategy.Membership", MEMBERSHIP_FIELDS, on_membership_saved, on_membership_deleted),
        ("strategy.Team", TEAM_FIELDS, on_team_saved, None),
        ("metrics.Webhook", WEBHOOK_FIELDS, on_webhook_saved, on_webhook_deleted),
    ):
        model_signals.pre_save.connect(
            _stash(fields), sender=label, weak=False, dispatch_uid=f"security_pre_{label}"
        )
        model_signals.post_save.connect(saved, sender=label, dispatch_uid=f"security_{label}")
        if deleted is not None:
            model_signals.post_delete.connect(
                deleted, sender=label, dispatch_uid=f"security_del_{label}"
            )
    model_signals.pre_save.connect(
        on_account_pre_save, sender=user_model, dispatch_uid="security_account_pre"
    )
    model_signals.post_save.connect(
        on_account_saved, sender=user_model, dispatch_uid="security_account"
    )
    groups = get_user_model().groups.through
    model_signals.m2m_changed.connect(
        on_groups_changed, sender=groups, dispatch_uid="security_groups"
    )

    if apps.is_installed("allauth.mfa"):
        from allauth.mfa import signals as mfa

        for signal, kind in (
            (mfa.authenticator_added, Kind.MFA_ADDED),
            (mfa.authenticator_removed, Kind.MFA_REMOVED),
            (mfa.authenticator_reset, Kind.MFA_RESET),
        ):
            signal.connect(_mfa_receiver(kind), weak=False, dispatch_uid=f"security_{kind}")
        mfa.authentication_failed.connect(on_mfa_failed, dispatch_uid="security_mfa_failed")
