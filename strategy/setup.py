"""First run: the steps of the setup checklist the strategy office works through, and the
setup link.

The checklist itself spans the apps (a first objective with a KPI and an initiative) and is
read from the data by ``workspace.setup.setup_checklist``. Only the steps the office chose to
skip are stored, on the strategy (``Strategy.setup_skipped``, written by
``strategy.services.strategy_setup_skip``, which checks them against ``SKIPPABLE_STEPS``).

The setup link (``manage.py setup_link``) signs a first strategy-office person in on a fresh
install: Django's password-reset token generator with its own salt, so the link is signed with
``SECRET_KEY``, expires (``SETUP_LINK_HOURS``) and works once (it is bound to the person's
password hash and last sign-in, which using it changes).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from typing_extensions import override

from strategy.access import access_for

# (key, title, what the step asks for)
SETUP_STEPS: tuple[tuple[str, str, str], ...] = (
    ("strategy", "Strategy", "Name the strategy, its vision and its horizon."),
    ("periods", "Periods", "The years and quarters the plan is measured in."),
    ("themes", "Themes", "The strategy's pillars, each with a colour and a priority weight."),
    ("teams", "Team tree", "The company, its divisions and teams, their leaders and privacy."),
    ("people", "People", "Everyone who works on the plan, with a role in a team."),
    ("first_objective", "First objective", "An objective with a KPI and an initiative."),
)
# Everything else hangs on the strategy: it cannot be skipped.
SKIPPABLE_STEPS: tuple[str, ...] = tuple(key for key, _, _ in SETUP_STEPS if key != "strategy")


# --- the setup link -------------------------------------------------------------------------
class SetupLinkTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset tokens with their own salt (a reset link is no setup link and
    the other way round) and their own lifetime, ``SETUP_LINK_HOURS``."""

    key_salt = "execsupport.strategy.setup.SetupLinkTokenGenerator"

    @override
    def check_token(self, user, token) -> bool:
        if not super().check_token(user, token):
            return False
        made = base36_to_int(token.split("-")[0])
        age = self._num_seconds(self._now()) - made
        return age <= settings.SETUP_LINK_HOURS * 3600


setup_link_tokens = SetupLinkTokenGenerator()


def setup_link_path(*, user) -> str:
    """The path of a fresh setup link for this strategy-office person."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("strategy:setup-link", args=[uid, setup_link_tokens.make_token(user)])


def setup_link_expires(*, now: dt.datetime) -> dt.datetime:
    """When a setup link made at ``now`` stops working (``SETUP_LINK_HOURS`` later)."""
    return now + dt.timedelta(hours=settings.SETUP_LINK_HOURS)


def setup_link_user(*, uidb64: str, token: str):
    """The person a setup link was made for, if the link is valid (signed here, not expired,
    not used, the person active and in the strategy office); else ``None``."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError):
        return None
    if not 0 < pk < 2**63:
        return None
    user = get_user_model()._default_manager.filter(pk=pk, is_active=True).first()
    if user is None or not setup_link_tokens.check_token(user, token):
        return None
    if not access_for(user).is_office:
        return None
    return user
