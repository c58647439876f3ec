"""Print a one-time setup link for a strategy-office person: ``manage.py setup_link``.

On a fresh install (no demo), this is the way in without the Django admin: the person is
created in the "Strategy office" group (no usable password) unless they exist already, and the
printed link lets them choose a password, signs them in and opens the setup checklist. The
link expires after ``SETUP_LINK_HOURS`` and works once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from typing_extensions import override

from strategy.services import office_person_ensure
from strategy.setup import setup_link_expires, setup_link_path


class Command(BaseCommand):
    """``setup_link``: make sure the strategy-office person exists and print their one-time setup
    link (see the module's docstring)."""

    help = (
        "Print a one-time link that lets a strategy-office person set their password and "
        "start the setup checklist (the person is created if missing)."
    )

    @override
    def add_arguments(self, parser):
        parser.add_argument(
            "--username", default="office", help="The strategy-office person (default: office)."
        )
        parser.add_argument("--email", default="", help="Their e-mail address (new person).")

    @override
    def handle(self, *args, **options):
        try:
            user = office_person_ensure(username=options["username"], email=options["email"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        url = settings.SITE_URL.rstrip("/") + setup_link_path(user=user)
        expires = timezone.localtime(setup_link_expires(now=timezone.now()))
        self.stderr.write(
            f"Setup link for {user.get_username()} (strategy office), valid once until "
            f"{expires:%Y-%m-%d %H:%M %Z} (SETUP_LINK_HOURS={settings.SETUP_LINK_HOURS}); "
            "links are made with SITE_URL:"
        )
        self.stdout.write(url)
