"""Input and output shapes of the plan's API (teams, people, periods, strategies, themes,
objectives). Validation beyond field types is the models' ``clean`` and constraints, run by the
services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers
from rest_framework.validators import UniqueValidator
from typing_extensions import override

from execsupport.api import IdRelatedField
from metrics.serializers import LatestScoreSerializer
from strategy.api_fields import ScopedRelatedField, person_field
from strategy.keys import KEY_TAKEN
from strategy.models import (
    HandOver,
    Membership,
    Objective,
    Period,
    Strategy,
    Team,
    Theme,
)

User = get_user_model()


class TeamSerializer(serializers.ModelSerializer):
    """A team on ``/teams/``; ``parent`` among the teams the caller may see."""

    parent = ScopedRelatedField(  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Field.parent stays
        queryset=Team.objects.all(), scope_lookup="id", allow_null=True, required=False
    )

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "slug",
            "kind",
            "parent",
            "is_private",
            "description",
            "created_at",
            "updated_at",
        ]


class PersonMembershipSerializer(serializers.ModelSerializer):
    """A person's role on a team, nested in ``PersonSerializer``."""

    class Meta:
        model = Membership
        fields = ["team", "role"]


class PersonSerializer(serializers.ModelSerializer):
    """A person on ``/people/``, with their roles on the teams the caller may see (``PersonViewSet``
    prefetches only those)."""

    full_name = serializers.SerializerMethodField()
    memberships = PersonMembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "full_name", "memberships"]

    def get_full_name(self, user) -> str:
        """The full name, else the username."""
        return user.get_full_name() or user.get_username()


class PeriodSerializer(serializers.ModelSerializer):
    """A planning period on ``/periods/``."""

    class Meta:
        model = Period
        fields = ["id", "name", "kind", "start_date", "end_date", "created_at", "updated_at"]


class StrategySerializer(serializers.ModelSerializer):
    """A strategy on ``/strategies/``; ``owner`` among the people the caller may choose."""

    owner = person_field(allow_null=True, required=False)

    class Meta:
        model = Strategy
        fields = [
            "id",
            "name",
            "vision",
            "horizon_start",
            "horizon_end",
            "status",
            "owner",
            "created_at",
            "updated_at",
        ]


class ThemeSerializer(serializers.ModelSerializer):
    """A strategic theme on ``/themes/``."""

    strategy = IdRelatedField(queryset=Strategy.objects.all())

    class Meta:
        model = Theme
        fields = [
            "id",
            "strategy",
            "name",
            "description",
            "colour",
            "order",
            "weight",
            "created_at",
            "updated_at",
        ]


class ObjectiveSerializer(serializers.ModelSerializer):
    """An objective on ``/objectives/``, with its latest score (read only). ``team`` and ``parent``
    among those the caller may see; ``key`` unique whatever its case, checked with the other
    fields."""

    strategy = IdRelatedField(queryset=Strategy.objects.all())
    theme = IdRelatedField(queryset=Theme.objects.all())
    period = IdRelatedField(queryset=Period.objects.all())
    team = ScopedRelatedField(queryset=Team.objects.all(), scope_lookup="id")
    parent = ScopedRelatedField(queryset=Objective.objects.all(), allow_null=True, required=False)  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Field.parent stays
    owner = person_field(allow_null=True, required=False)
    latest_score = LatestScoreSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Objective
        fields = [
            "id",
            "strategy",
            "theme",
            "period",
            "team",
            "parent",
            "owner",
            "key",
            "title",
            "description",
            "weight",
            "priority",
            "status",
            "start_date",
            "due_date",
            "latest_score",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "key": {
                # Unique whatever the case: strategy.keys.KeyUniqueIgnoringCase's rule, checked
                # here too so that it is reported with the other fields' errors.
                "validators": [
                    UniqueValidator(Objective.objects.all(), message=KEY_TAKEN, lookup="iexact")
                ],
                "help_text": Objective._meta.get_field("key").help_text,
            }
        }


class ObjectiveNodeSerializer(serializers.Serializer):
    """One node of the alignment tree, with its children nested."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    team = serializers.IntegerField(source="team_id")
    theme = serializers.IntegerField(source="theme_id")
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    parent = serializers.IntegerField(source="parent_id", allow_null=True)  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Field.parent stays
    status = serializers.CharField()
    latest_score = LatestScoreSerializer(allow_null=True)
    children = serializers.ListField(child=serializers.DictField())


class ObjectiveTreeSerializer(serializers.Serializer):
    """The answer of ``/objectives/tree/``: the strategy's id and the root nodes, each with its
    children nested (the shape of ``ObjectiveNodeSerializer``)."""

    strategy = serializers.IntegerField()
    roots = serializers.ListField(child=serializers.DictField())


class HandOverRequestSerializer(serializers.Serializer):
    """Input of ``POST /people/hand-over/``: person ids."""

    leaving = serializers.IntegerField(
        min_value=1, help_text="The person leaving (may be inactive)."
    )
    successor = serializers.IntegerField(
        min_value=1, help_text="The active person who takes the work over."
    )


class HandOverSerializer(serializers.ModelSerializer):
    """A recorded hand-over: who, to whom, by whom, when, and how many of each moved."""

    class Meta:
        model = HandOver
        fields = [
            "id",
            "leaving",
            "successor",
            "done_by",
            "done_at",
            "objectives",
            "initiatives",
            "kpis",
            "alerts",
        ]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    """A person's role on a team. ``user`` and ``team`` are set when it is created; a change
    is a change of ``role`` (remove and add to move someone)."""

    user = person_field(help_text="The person (one the caller may choose).")
    team = ScopedRelatedField(queryset=Team.objects.all(), scope_lookup="id")

    class Meta:
        model = Membership
        fields = ["id", "user", "team", "role", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    @override
    def validate(self, attrs):
        if self.instance is not None:
            moved = {
                name: [
                    serializers.ErrorDetail(
                        "Set when the membership is created; remove it and add another instead.",
                        code="inconsistent",
                    )
                ]
                for name in ("user", "team")
                if name in attrs and attrs[name] != getattr(self.instance, name)
            }
            if moved:
                raise serializers.ValidationError(moved)
        return attrs


class InviteRequestSerializer(serializers.Serializer):
    """Input of ``POST /people/invite/``."""

    # Addresses Django's EmailValidator takes (a subset: the schema promises nothing more).
    email = serializers.RegexField(
        r"^[A-Za-z0-9_%+-]{1,32}(?:\.[A-Za-z0-9_%+-]{1,32}){0,2}"
        r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,3}"
        r"[A-Za-z]{2,63}$",
        max_length=254,
    )
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    team = serializers.IntegerField(min_value=1, help_text="A team you manage.")
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class InvitationSerializer(serializers.Serializer):
    """An invitation sent: the invited person's id and username, when it was sent and until
    when its link works; ``link`` only when no e-mail server delivers it (else null)."""

    id = serializers.IntegerField()
    person = serializers.IntegerField()
    username = serializers.CharField()
    sent_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    mailed = serializers.BooleanField()
    link = serializers.URLField(allow_null=True)
