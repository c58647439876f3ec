"""The mandatory second factor (``MFA_REQUIRED_FOR_STAFF``) and password sign-in turned off
(``SSO_ONLY``), enforced for every request whatever view answers it."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from execsupport.auth import STRATEGY_OFFICE_GROUP

# Factors that count as a second factor (recovery codes only come with one of these).
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]

# What a person who must enrol may still reach: enrolment itself (with its reauthentication),
# and signing out.
ENROLMENT_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_list_webauthn",
        "mfa_reauthenticate",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "account_reauthenticate",
        "account_logout",
        "healthz",
    }
)

# Pages that set or reset passwords: 404 with SSO_ONLY (the sign-in page shows single
# sign-on; reauthentication by password is refused by execsupport.allauth.AccountAdapter).
PASSWORD_URL_NAMES = frozenset(
    {
        "account_change_password",
        "invitation-accept",
        "account_set_password",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
    }
)


def _is_office_or_staff(user: AbstractBaseUser) -> tuple[bool, bool]:
    """(must have a second factor, has one), in one query."""
    if not settings.MFA_REQUIRED_FOR_STAFF:
        return False, False
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            office=Exists(
                get_user_model().groups.through.objects.filter(
                    user_id=OuterRef("pk"), group__name=STRATEGY_OFFICE_GROUP
                )
            ),
            enrolled=Exists(
                Authenticator.objects.filter(user_id=OuterRef("pk"), type__in=SECOND_FACTORS)
            ),
        )
        .values("office", "enrolled", "is_staff", "is_superuser")
        .first()
    )
    if row is None:
        return False, False
    required = row["office"] or row["is_staff"] or row["is_superuser"]
    return required, row["enrolled"]


def second_factor_required(user: AbstractBaseUser) -> bool:
    """Whether ``user`` must have a second factor: the strategy office, staff and superusers
    when ``MFA_REQUIRED_FOR_STAFF`` is on."""
    return _is_office_or_staff(user)[0]


class SecondFactorRequiredMiddleware:
    """Sends a signed-in person who must have a second factor and has none to enrolment
    (``/accounts/2fa/``) from every other page: pages redirect, HTMX requests get an
    ``HX-Redirect``, the API (session) answers 403. Signing out stays possible.

    With ``SSO_ONLY`` it also answers the password pages (change, reset, reauthentication
    by password) with 404 and refuses a password posted to the sign-in page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Pass the request on; the checks are in ``process_view``."""
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        """None to let the view run, else the answer instead of it: 404 for password pages under
        ``SSO_ONLY``, or the way to enrolment (redirect, ``HX-Redirect`` or 403 JSON)."""
        match = request.resolver_match
        name = match.url_name if match else None
        if settings.SSO_ONLY:
            refused = self._password_refused(request, name)
            if refused is not None:
                return refused
        user = getattr(request, "user", None)
        if (
            not settings.MFA_REQUIRED_FOR_STAFF
            or user is None
            or not user.is_authenticated
            or name in ENROLMENT_URL_NAMES
            or request.path_info.startswith(settings.STATIC_URL)
        ):
            return None
        required, enrolled = _is_office_or_staff(user)
        if not required or enrolled:
            return None
        explanation = (
            "Your role requires a second factor: add an authenticator app or a security key "
            "before you continue."
        )
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": explanation, "code": "mfa_required"}, status=403)
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = "/accounts/2fa/"
            return response
        messages.warning(request, explanation)
        return redirect("mfa_index")

    @staticmethod
    def _password_refused(request: HttpRequest, name: str | None) -> HttpResponse | None:
        if name in PASSWORD_URL_NAMES:
            return render(request, "404.html", status=404)
        if name == "account_login" and request.method == "POST":
            return render(
                request,
                "account/password_sign_in_off.html",
                status=403,
            )
        return None
