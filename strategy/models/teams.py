"""Teams (the organisation's tree) and memberships (who has which role in a team)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from typing_extensions import override

from execsupport.validation import (
    DESCRIPTION_MAX,
    text_validators,
)
from strategy.models.base import TimestampedModel, VersionedModel, history_records
from strategy.trees import tree_ancestor_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Team(VersionedModel):
    """A team of the organisation's tree: the company at the root, divisions and teams below
    (``clean``: no cycle, levels in order). A private team's content, and that of the teams below
    it, is seen only by those with a role on it or above it (``strategy.access``)."""

    class Kind(models.TextChoices):
        COMPANY = "company", "Company"
        DIVISION = "division", "Division"
        TEAM = "team", "Team"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEAM)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_private = models.BooleanField(
        "private",
        default=False,
        help_text="Only this team's members, leaders above it and the strategy office see its "
        "objectives, initiatives and KPIs.",
    )
    description = models.TextField(blank=True, validators=text_validators(DESCRIPTION_MAX))

    history = history_records()

    # Not fields: what the team tree of the manage pages attaches (workspace.manage_views).
    depth: int
    indent: str
    leaders: list[User]

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="company", parent__isnull=True)
                | (~Q(kind="company") & Q(parent__isnull=False)),
                name="team_company_is_root_others_have_parent",
                violation_error_message="A company has no parent; divisions and teams need one.",
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="team_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @override
    def clean(self) -> None:
        if self.parent_id and self.pk and self.pk in tree_ancestor_ids(Team, self.parent_id):
            raise ValidationError(
                {"parent": f"“{self.parent}” is inside “{self.name}”: that would make a cycle."}
            )
        # The constraint team_company_is_root_others_have_parent holds it in the database; here
        # the error is shown at the field with its own code (a rule between two fields, which
        # the OpenAPI schema cannot express).
        if (self.kind == self.Kind.COMPANY) == (self.parent_id is not None):
            raise ValidationError(
                {
                    "parent": ValidationError(
                        "A company has no parent; divisions and teams need one.",
                        code="inconsistent",
                    )
                }
            )
        self._clean_levels()

    # The tree's levels, top down: a team sits under a team, a division or the company; a
    # division under a division or the company; nothing above its parent's level.
    LEVELS = {"company": 0, "division": 1, "team": 2}

    def _clean_levels(self) -> None:
        """A team's kind fits its place: not above its parent's level, and not below a child's
        (so a division with divisions under it cannot become a team). ``ValidationError`` on
        ``parent`` or ``kind`` (code ``inconsistent``)."""
        level = self.LEVELS.get(self.kind)
        if level is None:
            return
        parent = self.parent if self.parent_id else None
        if parent is not None and self.LEVELS.get(parent.kind, 0) > level:
            raise ValidationError(
                {
                    "parent": ValidationError(
                        f"A {self.get_kind_display().lower()} cannot sit under the "
                        f"{parent.get_kind_display().lower()} “{parent}”: choose a parent "
                        "of a higher level (the company, a division).",
                        code="inconsistent",
                    )
                }
            )
        if self.pk is None:
            return
        higher = [
            child
            for child in Team.objects.filter(parent_id=self.pk).only("name", "kind")
            if self.LEVELS.get(child.kind, 0) < level
        ]
        if higher:
            raise ValidationError(
                {
                    "kind": ValidationError(
                        f"“{higher[0]}” under this team is a "
                        f"{higher[0].get_kind_display().lower()}: a "
                        f"{self.get_kind_display().lower()} cannot hold it.",
                        code="inconsistent",
                    )
                }
            )


class Membership(TimestampedModel):
    """A person's role (leader, member, viewer) on a team; it carries down to the teams below
    (``strategy.access``). One per person and team."""

    class Role(models.TextChoices):
        LEADER = "leader", "Leader"
        MEMBER = "member", "Member"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    history = history_records()

    class Meta:
        ordering = ["team__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team"),
        ]
        indexes = [models.Index(fields=["team", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.team}"
