"""What writes the security log: Django's and django-axes' sign-in signals, allauth's second
factor signals (when ``allauth.mfa`` is installed), the token signals of ``strategy.services``,
and saves and deletions of memberships, accounts, teams and webhooks (model signals, so the
pages, the API, the admin and commands are all covered).

This app depends on the domain apps (by model label and their signals); none of them imports
it. Connected once from ``SecurityConfig.ready``.

The receivers live in modules by what they record, none importing another: ``signing_in``
(with the second factor), ``tokens`` and ``changes`` (memberships, accounts, teams, webhooks);
``wiring`` connects them all. Callers import from ``security.receivers``; the names below are
its public face.
"""

from security.receivers.changes import (
    ACCOUNT_FLAGS,
    MEMBERSHIP_FIELDS,
    TEAM_FIELDS,
    WEBHOOK_FIELDS,
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
    TYPED_NAME_MAX,
    on_locked_out,
    on_logged_in,
    on_logged_out,
    on_login_failed,
    on_mfa_failed,
)
from security.receivers.tokens import (
    TOKEN_REF_LENGTH,
    on_token_created,
    on_tokens_revoked,
    token_ref,
)
from security.receivers.wiring import connect

__all__ = [
    "ACCOUNT_FLAGS",
    "MEMBERSHIP_FIELDS",
    "TEAM_FIELDS",
    "TOKEN_REF_LENGTH",
    "TYPED_NAME_MAX",
    "WEBHOOK_FIELDS",
    "connect",
    "on_account_pre_save",
    "on_account_saved",
    "on_groups_changed",
    "on_locked_out",
    "on_logged_in",
    "on_logged_out",
    "on_login_failed",
    "on_membership_deleted",
    "on_membership_saved",
    "on_mfa_failed",
    "on_team_saved",
    "on_token_created",
    "on_tokens_revoked",
    "on_webhook_deleted",
    "on_webhook_saved",
    "token_ref",
]
