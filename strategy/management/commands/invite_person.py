"""Invite someone and print their set-password link:
``manage.py invite_person ana@example.com --team sales --role member``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from typing_extensions import override

from strategy.invitations import person_invite
from strategy.models import Membership, Team


class Command(BaseCommand):
    """``invite_person``: invite an e-mail address to a team (by slug or id) with a role, through
    ``person_invite`` as the system, and print the set-password link."""

    help = (
        "Create an account for an e-mail address with a role on a team, send the invitation "
        "and print its link (single use, valid INVITATION_TTL_DAYS)."
    )

    @override
    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--team", required=True, help="The team's slug (or id).")
        parser.add_argument(
            "--role", choices=Membership.Role.values, default=Membership.Role.MEMBER
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    @override
    def handle(self, *args, **options):
        key = options["team"]
        team = Team.objects.filter(slug=key).first()
        if team is None and key.isdigit():
            team = Team.objects.filter(pk=int(key)).first()
        if team is None:
            raise CommandError(f"--team {key}: no team with that slug or id.")
        try:
            sent = person_invite(
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                team=team,
                role=options["role"],
                by=None,
            )
        except (ValidationError, PermissionDenied) as error:
            messages = getattr(error, "messages", None) or [str(error)]
            raise CommandError(f"{options['email']}: {' '.join(messages)}") from error
        user = sent.invitation.user
        mailed = "mailed to" if sent.mailed else "not mailed (no e-mail server) to"
        self.stdout.write(f"Invited {user.email} (username {user.username}), {mailed} them.")
        self.stdout.write(sent.url)
