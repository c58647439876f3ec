"""The security log: who signed in, failed, was locked out, changed a second factor, created or
revoked a token, changed a membership, a role, a team's privacy or a webhook; when, from which
address, in which request. Access, not definitions (the change history of the plan covers
those). Written by ``security.services`` only; read by the strategy office."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SecurityEvent(models.Model):
    """One entry of the security log: what happened (``Kind``), who did it, whose account it
    concerns, from where, and its details; noisy kinds are counted on one row per window."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        LOCKED_OUT = "locked_out", "Locked out"
        SIGN_OUT = "sign_out", "Signed out"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        MFA_ADDED = "mfa_added", "Second factor added"
        MFA_REMOVED = "mfa_removed", "Second factor removed"
        MFA_RESET = "mfa_reset", "Recovery codes renewed"
        MFA_FAILED = "mfa_failed", "Second factor failed"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        API_AUTH_FAILED = "api_auth_failed", "API authentication failed"
        MEMBERSHIP_ADDED = "membership_added", "Membership added"
        MEMBERSHIP_CHANGED = "membership_changed", "Membership role changed"
        MEMBERSHIP_REMOVED = "membership_removed", "Membership removed"
        ACCOUNT_CREATED = "account_created", "Account created with a role"
        ROLE_CHANGED = "role_changed", "Account role changed"
        TEAM_PRIVACY_CHANGED = "team_privacy_changed", "Team privacy changed"
        WEBHOOK_CREATED = "webhook_created", "Webhook created"
        WEBHOOK_CHANGED = "webhook_changed", "Webhook changed"
        WEBHOOK_DELETED = "webhook_deleted", "Webhook deleted"

    # Kinds an outsider can cause at will: one row per window and source, with a count
    # (security.services.security_failure_record), so they cannot fill the table.
    NOISY_KINDS = (Kind.SIGN_IN_FAILED, Kind.LOCKED_OUT, Kind.API_AUTH_FAILED, Kind.MFA_FAILED)

    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did it (signed in), if anyone.",
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text="Their username then.")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The person it concerns (whose account, token or membership).",
    )
    subject_name = models.CharField(
        max_length=255, blank=True, help_text="Their username then, or the name typed."
    )
    ip = models.GenericIPAddressField(null=True, blank=True, help_text="The client's address.")
    request_id = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="Never a secret.")
    # Repeats of a noisy kind from the same source within the window: counted, not stored.
    count = models.PositiveIntegerField(default=1)
    last_at = models.DateTimeField(null=True, blank=True)
    aggregate_key = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="secevent_at"),
            models.Index(fields=["kind", "-at"], name="secevent_kind_at"),
            models.Index(fields=["actor", "-at"], name="secevent_actor_at"),
            models.Index(fields=["subject", "-at"], name="secevent_subject_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject_name or self.actor_name} {self.at:%Y-%m-%d %H:%M}"
