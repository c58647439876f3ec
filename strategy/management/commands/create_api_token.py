"""Create an API token and print its secret once: ``manage.py create_api_token alice --scope read``."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from typing_extensions import override

from strategy.models import ApiToken
from strategy.services import token_create


class Command(BaseCommand):
    """``create_api_token``: a token for a user (scopes, expiry in days) through ``token_create``;
    the secret is printed once, never stored."""

    help = "Create an API token for a user and print the secret (shown only this once)."

    @override
    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=ApiToken.Scope.values,
            help="Repeat for several scopes (default: read).",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Days until expiry (default API_TOKEN_DEFAULT_TTL_DAYS; 0: the longest allowed, API_TOKEN_MAX_TTL_DAYS).",
        )
        parser.add_argument(
            "--created-by", default=None, help="Username of the administrator creating it."
        )

    @override
    def handle(self, *args, **options):
        users = get_user_model().objects
        try:
            user = users.get(username=options["username"])
            creator = users.get(username=options["created_by"]) if options["created_by"] else user
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No such user: {exc}") from exc
        days = options["days"]
        if days is None:
            days = settings.API_TOKEN_DEFAULT_TTL_DAYS
        if days < 0:
            raise CommandError("--days must be 0 (the longest allowed) or more.")
        expires_at = timezone.now() + dt.timedelta(days=days) if days else None
        try:
            token, secret = token_create(
                user=user,
                name=options["name"],
                scopes=options["scopes"] or [ApiToken.Scope.READ],
                created_by=creator,
                expires_at=expires_at,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"Token '{token.name}' for {user} with scopes {', '.join(token.scopes)}, "
            f"expires {token.expiry or 'never'}. Store it now; it is not shown again."
        )
        self.stdout.write(secret)
