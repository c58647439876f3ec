"""The integrations page: each person's API tokens, and the outbound webhooks of the strategy
office and team leaders, with their delivery log.

Rules live elsewhere, shared with the API and the admin: tokens are created and revoked by
``strategy.services`` (token_create, token_revoke: a person manages their own), webhooks are
saved by ``metrics.services.webhook_save`` and listed through ``Access.webhooks_scope`` (the
office: all; a leader: those they own). Another person's token or webhook is a plain 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from metrics.models import Webhook, WebhookDelivery
from metrics.services import webhook_delete, webhook_delivery_retry, webhook_save
from metrics.webhook_formats import standard_secret
from security.forms import TokenCreateForm, WebhookForm
from strategy.access import Access, access_for
from strategy.models import ApiToken, VersionConflict
from strategy.services import token_create, token_revoke

DELIVERIES_PER_PAGE = 25
PAST_TOKENS_SHOWN = 20


def tokens_of(*, user) -> tuple[list[ApiToken], list[ApiToken]]:
    """(live tokens, the last revoked or expired ones) of this person, newest first: two
    queries whatever their number."""
    now = timezone.now()
    live_q = Q(revoked_at__isnull=True) & (Q(expiry__isnull=True) | Q(expiry__gt=now))
    mine = ApiToken.objects.filter(user=user).defer("digest")
    live = list(mine.filter(live_q).order_by("-created"))
    past = list(mine.exclude(live_q).order_by("-created")[:PAST_TOKENS_SHOWN])
    return live, past


def webhooks_listed(*, access: Access) -> QuerySet[Webhook]:
    """The webhooks this person manages, with owner, team, their last delivery's status and
    time and their failed deliveries counted: one query."""
    last = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        access.webhooks_scope(Webhook.objects.all())
        .select_related("owner", "team")
        .annotate(
            last_status=Subquery(last.values("status")[:1]),
            last_at=Subquery(last.values("created_at")[:1]),
            failed=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED)),
        )
        .order_by("name", "id")
    )


def _token_form(request: HttpRequest, access: Access, data=None) -> TokenCreateForm:
    return TokenCreateForm(
        data,
        can_contribute=access.can_contribute,
        max_days=settings.API_TOKEN_MAX_TTL_DAYS,
    )


def _page(
    request: HttpRequest,
    *,
    form: TokenCreateForm | None = None,
    new_secret: str = "",
    status: int = 200,
) -> HttpResponse:
    access = access_for(request.user)
    live, past = tokens_of(user=request.user)
    return render(
        request,
        "security/integrations.html",
        {
            "form": form or _token_form(request, access),
            "live": live,
            "past": past,
            "new_secret": new_secret,
            "now": timezone.now(),
            "can_webhooks": access.can_manage_webhooks,
            "webhooks": list(webhooks_listed(access=access)) if access.can_manage_webhooks else [],
        },
        status=status,
    )


@login_required
def integrations(request: HttpRequest) -> HttpResponse:
    """Your API tokens (create, last use, revoke), the API's documentation and, for leaders
    and the strategy office, outbound webhooks."""
    return _page(request)


@login_required
@require_POST
def token_new(request: HttpRequest) -> HttpResponse:
    """Create a token for yourself; its secret is in this answer only (never stored, never put
    in a cookie or message). Invalid: 400, what was typed kept."""
    access = access_for(request.user)
    form = _token_form(request, access, request.POST)
    if form.is_valid():
        try:
            _token, secret = token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
                created_by=request.user,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            response = _page(request, new_secret=secret, status=201)
            response["Cache-Control"] = "no-store"
            return response
    return _page(request, form=form, status=400)


@login_required
@require_POST
def token_revoke_page(request: HttpRequest, key: str) -> HttpResponse:
    """Revoke one of your tokens, named by its public key (the secret's first characters,
    shown on the page); someone else's: 404, as if it did not exist."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_key=key, user=request.user, revoked_at__isnull=True)
        .first()
    )
    if token is None:
        raise Http404("No such token of yours.")
    if token_revoke(token=token, by=request.user):
        messages.success(request, f"Revoked “{token.name}”: it no longer works.")
    return redirect("security:integrations")


def _managed(request: HttpRequest) -> Access:
    access = access_for(request.user)
    if not access.can_manage_webhooks:
        raise PermissionDenied("Only team leaders and the strategy office manage webhooks.")
    return access


def _webhook(access: Access, pk: int) -> Webhook:
    return get_object_or_404(
        access.webhooks_scope(Webhook.objects.select_related("owner", "team")), pk=pk
    )


def _save(request: HttpRequest, form: WebhookForm, *, created: bool) -> Webhook | None:
    """Save through ``webhook_save``; None (the errors on the form) when refused."""
    webhook = form.save(commit=False)
    if created:
        webhook.created_by = request.user
    if webhook.owner_id is None and (created or "owner" in form.fields):
        webhook.owner = request.user
    try:
        return webhook_save(webhook=webhook, version=form.expected_version, by=request.user)
    except VersionConflict as conflict:
        form.version_conflict(conflict)
    except ValidationError as error:
        form.add_service_error(error)
    return None


@login_required
def webhook_new(request: HttpRequest) -> HttpResponse:
    """A new webhook; its signing secret is shown once, in the answer that creates it."""
    access = _managed(request)
    form = WebhookForm(request.POST or None, instance=Webhook(), access=access)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and (webhook := _save(request, form, created=True)) is not None:
            response = _detail(request, access, webhook, new_secret=webhook.new_secret, status=201)
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request, "security/webhook_form.html", {"form": form, "webhook": None}, status=status
    )


def _detail(
    request: HttpRequest,
    access: Access,
    webhook: Webhook,
    *,
    form: WebhookForm | None = None,
    new_secret: str = "",
    status: int = 200,
) -> HttpResponse:
    deliveries = webhook.deliveries.defer("payload").order_by("-created_at", "-id")
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "security/webhook_detail.html",
        {
            "webhook": webhook,
            "form": form or WebhookForm(instance=webhook, access=access),
            "page": page,
            "new_secret": new_secret,
            "standard_secret": standard_secret(new_secret) if new_secret else "",
        },
        status=status,
    )


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A webhook: its settings (saved here) and its delivery log, newest first, 25 a page,
    each failed delivery with a retry."""
    access = _managed(request)
    webhook = _webhook(access, pk)
    if request.method != "POST":
        return _detail(request, access, webhook)
    form = WebhookForm(request.POST, instance=webhook, access=access)
    if form.is_valid() and (saved := _save(request, form, created=False)) is not None:
        messages.success(request, f"Saved “{saved.name}”.")
        return redirect("security:webhook-detail", pk=saved.pk)
    return _detail(request, access, webhook, form=form, status=400)


@login_required
@require_POST
def webhook_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a webhook you manage, and its delivery log."""
    webhook = _webhook(_managed(request), pk)
    webhook_delete(webhook=webhook)
    messages.success(request, f"Deleted the webhook “{webhook.name}”.")
    return redirect("security:integrations")


@login_required
@require_POST
def delivery_retry(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    """Queue a failed delivery again (``metrics.services.webhook_delivery_retry``); HTMX: the
    delivery's row, refreshed, else back to the log."""
    webhook = _webhook(_managed(request), pk)
    delivery = get_object_or_404(webhook.deliveries.defer("payload"), pk=delivery_pk)
    queued = webhook_delivery_retry(delivery=delivery)
    if request.headers.get("HX-Request"):
        delivery.refresh_from_db()
        return render(
            request,
            "security/_delivery_row.html",
            {"webhook": webhook, "delivery": delivery, "just_queued": queued},
        )
    if queued:
        messages.success(request, "Delivery queued again.")
    else:
        messages.info(request, "Only a failed delivery can be sent again.")
    return redirect("security:webhook-detail", pk=webhook.pk)
