"""django-allauth adapters: who may sign in how, and how a single sign-on person is matched.

Accounts are made by the strategy office (the admin): nobody signs up. With ``SSO_ONLY`` no
password is accepted anywhere (sign-in, reauthentication). A person signing in through the
OpenID Connect provider is matched to an account here by the e-mail address the provider
says it verified: exactly one active account with that address (case-insensitive), which is
then linked to the provider's subject id, so later sign-ins match by that id even when the
address changes. No match: refused, unless ``SSO_CREATE_USERS`` lets allauth create one.
"""

from __future__ import annotations

import base64
import logging
import secrets
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.crypto import salted_hmac
from typing_extensions import override

from execsupport.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    """No sign-up; no password at all when ``SSO_ONLY`` is on."""

    @override
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        """The password check (django-axes counts and locks inside it); none with SSO_ONLY."""
        if settings.SSO_ONLY:
            return None
        return super().authenticate(request, **credentials)

    def get_client_ip(self, request: HttpRequest) -> str:
        """The client's address for allauth's rate limits, the sessions page and its mails:
        the one resolver (``execsupport.client_ip``, ``TRUSTED_PROXY_COUNT``), as the lockout,
        the API throttles and the security log use."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client's address.")
        return ip

    @override
    def reauthenticate(self, user: AbstractBaseUser, password: str) -> bool:
        if settings.SSO_ONLY:
            return False
        return super().reauthenticate(user, password)

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """A sign-in within ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` counts as a fresh
        authentication: enrolling a second factor right after signing in (as the mandatory
        second factor asks) needs no second password prompt, and works for single sign-on
        people, who have no password to give."""
        from execsupport.sessions import signed_in_within

        request = getattr(self, "request", None) or context.request
        if request is not None and signed_in_within(
            request, seconds=settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
        ):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)


logger = logging.getLogger(__name__)

# Marks a secret stored encrypted (anything else is read as stored in the clear).
ENCRYPTED_PREFIX = "fernet:"


def _secret_box() -> MultiFernet:
    """Fernet keys derived from SECRET_KEY, then each of SECRET_KEY_FALLBACKS: secrets are
    encrypted with the first and read with any, so the key can be rotated."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(
                        "execsupport.mfa.secret", "fernet-key", secret=key, algorithm="sha256"
                    ).digest()
                )
            )
            for key in keys
        ]
    )


class MFAAdapter(DefaultMFAAdapter):
    """Second-factor secrets (authenticator-app keys, the recovery-code seed) are stored
    encrypted (Fernet, key derived from SECRET_KEY; rotate with SECRET_KEY_FALLBACKS), and the
    last authenticator app of someone who must have a second factor stays."""

    @override
    def encrypt(self, text: str) -> str:
        return ENCRYPTED_PREFIX + _secret_box().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        """The secret. When no configured key opens it (SECRET_KEY changed without the old
        one in SECRET_KEY_FALLBACKS) the error is logged and a random secret is answered, so
        every code is refused (a clear "incorrect code", not a server error)."""
        if not encrypted_text.startswith(ENCRYPTED_PREFIX):
            return encrypted_text
        token = encrypted_text.removeprefix(ENCRYPTED_PREFIX).encode()
        try:
            return _secret_box().decrypt(token).decode()
        except InvalidToken:
            logger.error(
                "A second-factor secret cannot be decrypted: SECRET_KEY changed without the "
                "previous key in SECRET_KEY_FALLBACKS. Its codes are refused."
            )
            return base64.b32encode(secrets.token_bytes(20)).decode()

    @override
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        from execsupport.mfa import second_factor_required

        if not second_factor_required(authenticator.user):
            return True
        others = Authenticator.objects.filter(
            user_id=authenticator.user_id,
            type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
        ).exclude(pk=authenticator.pk)
        return others.exists()


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Single sign-on: match by provider-verified e-mail; create only with SSO_CREATE_USERS."""

    @override
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return settings.SSO_CREATE_USERS

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Link a first-time provider identity to the one active account with its verified
        address. An address the provider did not verify, or one that several accounts
        share, matches nobody (refused, or a new account with SSO_CREATE_USERS)."""
        if sociallogin.is_existing:
            return
        user = sso_matching_user(
            emails=[e.email for e in sociallogin.email_addresses if e.verified]
        )
        if user is not None:
            sociallogin.connect(request, user)
        elif not settings.SSO_CREATE_USERS:
            messages.error(
                request,
                "Single sign-on worked, but no account here has that verified e-mail address. "
                "Ask the strategy office to create your account with it.",
            )
            raise ImmediateHttpResponse(redirect(settings.LOGIN_URL))


def sso_matching_user(*, emails: list[str]) -> AbstractBaseUser | None:
    """The single active account whose e-mail address (case-insensitive) is one of
    ``emails`` (addresses the provider verified), or None when none or several match."""
    user_model = get_user_model()
    for email in emails:
        matches = list(user_model.objects.filter(email__iexact=email.strip(), is_active=True)[:2])
        if len(matches) == 1:
            return matches[0]
    return None


def sign_in_options(request: HttpRequest) -> dict[str, bool]:
    """Template context: ``sso_only`` (the sign-in page shows single sign-on alone)."""
    return {"sso_only": settings.SSO_ONLY}
