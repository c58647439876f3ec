"""People's bookkeeping: hand-overs of a leaver's work, API tokens and invitations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from knox.models import AbstractAuthToken

from strategy.models.teams import Membership, Team

if TYPE_CHECKING:
    pass


class HandOver(models.Model):
    """A leaving person's objectives, initiatives, KPIs and active alerts moved to a successor:
    who did it, when, and how many of each moved (``strategy.people_services.person_hand_over``).
    """

    leaving = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handed_over"
    )
    successor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="taken_over"
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(default=timezone.now)
    objectives = models.PositiveIntegerField(default=0)
    initiatives = models.PositiveIntegerField(default=0)
    kpis = models.PositiveIntegerField("KPIs", default=0)
    alerts = models.PositiveIntegerField(
        default=0, help_text="Open or acknowledged alerts whose owner became the successor."
    )

    class Meta:
        ordering = ["-done_at", "-id"]

    def __str__(self) -> str:
        return f"{self.leaving} -> {self.successor} ({self.done_at:%Y-%m-%d})"


class ApiToken(AbstractAuthToken):
    """A personal API token (django-rest-knox): only a SHA-512 digest of the secret is stored.

    The secret is shown once, when the token is created (``strategy.services.token_create``).
    A token acts as the person behind it, further narrowed by its scopes.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read everything the person may see"
        WRITE_MEASUREMENTS = "write:measurements", "Record KPI measurements"
        WRITE_INITIATIVES = "write:initiatives", "Update initiatives, milestones, check-ins, spend"
        ADMIN = "admin", "Everything the person may do"

    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'BI export'.")
    scopes = models.JSONField(default=list, help_text="A list of Scope values.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who created it: the person themselves or an administrator.",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…) of {self.user}"

    @property
    def is_revoked(self) -> bool:
        """Whether the token was revoked (``revoked_at`` set)."""
        return self.revoked_at is not None

    def is_expired(self, now) -> bool:
        """Whether the token's expiry is at or before ``now`` (an aware datetime); never for a token
        without expiry."""
        return self.expiry is not None and self.expiry <= now

    def has_scope(self, scope: str) -> bool:
        """Whether the token carries ``scope`` (an ``ApiToken.Scope`` value); ``admin`` carries
        every scope."""
        return self.Scope.ADMIN in self.scopes or scope in self.scopes


class Invitation(models.Model):
    """An invitation to set a password and sign in (``strategy.invitations``).

    The link carries a signed token naming this invitation and the moment it was (re)sent;
    it works until ``INVITATION_TTL_DAYS`` after that moment, only for the latest sending (a
    resend replaces earlier links), and once (``accepted_at`` set when the password is set).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(max_length=10, choices=Membership.Role.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    times_sent = models.PositiveIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["user", "accepted_at"])]

    def __str__(self) -> str:
        return f"Invitation of {self.user} ({self.sent_at:%Y-%m-%d})"
