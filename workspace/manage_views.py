"""First run and the plan's structure, without the Django admin: the setup link, the setup
checklist, and list / create / edit / delete pages for strategies, periods, themes and teams.

Who may do what is ``strategy.access`` (``can_manage_strategy``, ``can_manage_team``,
``can_save_team``), the same rules the API applies; writes go through ``strategy.services``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, ProtectedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from execsupport.validation import form_error_add
from strategy import services
from strategy.access import Access, access_for
from strategy.forms import PeriodForm, PeriodYearForm, StrategyForm, TeamForm, ThemeForm
from strategy.models import Membership, Period, Strategy, Team, Theme, VersionConflict
from strategy.selectors import strategy_current
from strategy.setup import SKIPPABLE_STEPS, setup_link_user
from workspace.setup import setup_checklist


def _office(request: HttpRequest) -> Access:
    access = access_for(request.user)
    if not access.can_manage_strategy():
        raise PermissionDenied("Only the strategy office sets up and manages the plan.")
    return access


# --- first run --------------------------------------------------------------------------------
@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def setup_link(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """A one-time setup link (``manage.py setup_link``): the strategy-office person it was made
    for chooses a password and is signed in, then lands on the setup checklist. An expired,
    used or altered link says so (400) and changes nothing."""
    user = setup_link_user(uidb64=uidb64, token=token)
    if user is None:
        return render(request, "strategy/setup_link_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            from allauth.account.internal.flows.login import record_authentication
            from allauth.account.utils import perform_login

            form.save()  # a new password hash: the link no longer works
            # Signed in through django-allauth, like a sign-in with the password: a person who
            # already has a second factor is asked for it before any page.
            record_authentication(request, user, method="password")
            messages.success(request, "Your password is set. Set up the plan step by step below.")
            return perform_login(request, user, redirect_url=reverse("strategy:setup"))
        status = 400
    return render(
        request, "strategy/setup_link.html", {"form": form, "person": user}, status=status
    )


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """The setup checklist: each step done or left (from the data), skipped or not (stored on
    the strategy), with a link to where it is done."""
    _office(request)
    checklist = setup_checklist(strategy=strategy_current())
    return render(request, "strategy/setup.html", {"checklist": checklist})


@login_required
@require_POST
def setup_skip(request: HttpRequest) -> HttpResponse:
    """Skip a step of the checklist (``skip=1``) or take it up again (``skip=0``)."""
    _office(request)
    strategy = strategy_current()
    step = request.POST.get("step", "")
    if strategy is None or step not in SKIPPABLE_STEPS:
        messages.error(request, "Set up the strategy first; then its other steps can be skipped.")
        return redirect("strategy:setup")
    skipped = request.POST.get("skip") == "1"
    services.strategy_setup_skip(strategy=strategy, step=step, skipped=skipped)
    return redirect(reverse("strategy:setup") + f"#step-{step}")


# --- lists, forms and deletion of the plan's structure ----------------------------------------
@dataclass(frozen=True)
class Managed:
    """One kind of object the office manages here: its model, its form, how it is saved."""

    kind: str
    model: type[models.Model]
    noun: str
    form: type
    save: Callable  # (instance, form, version, by) -> instance, through strategy.services
    may: Callable[[Access, Any], bool]  # the access rule for this instance (new or not)


def _save_strategy(instance, form, version, by):
    return services.strategy_save(strategy=instance, version=version)


def _save_period(instance, form, version, by):
    return services.period_save(period=instance, version=version)


def _save_theme(instance, form, version, by):
    return services.theme_save(theme=instance, version=version)


def _save_team(instance, form, version, by):
    return services.team_save(
        team=instance, version=version, leader=form.cleaned_data["leader"], by=by
    )


MANAGED: dict[str, Managed] = {
    "strategy": Managed(
        "strategy",
        Strategy,
        "strategy",
        StrategyForm,
        _save_strategy,
        lambda a, o: a.can_manage_strategy(),
    ),
    "period": Managed(
        "period", Period, "period", PeriodForm, _save_period, lambda a, o: a.can_manage_strategy()
    ),
    "theme": Managed(
        "theme", Theme, "theme", ThemeForm, _save_theme, lambda a, o: a.can_manage_strategy()
    ),
    "team": Managed("team", Team, "team", TeamForm, _save_team, lambda a, o: a.can_save_team(o)),
}


def _may(spec: Managed, access: Access, instance) -> None:
    if not spec.may(access, instance):
        raise PermissionDenied(f"Your role does not allow changing this {spec.noun}.")


def _list_rows(kind: str) -> dict:
    """The rows of a list page, each list in one query."""
    if kind == "strategy":
        rows = Strategy.objects.select_related("owner").annotate(
            theme_count=Count("themes", distinct=True),
            objective_count=Count("objectives", distinct=True),
        )
        return {"rows": rows}
    if kind == "period":
        return {
            "rows": Period.objects.annotate(objective_count=Count("objectives")),
            "year_form": PeriodYearForm(),
        }
    if kind == "theme":
        return {
            "rows": Theme.objects.select_related("strategy").annotate(
                objective_count=Count("objectives")
            )
        }
    teams = list(Team.objects.annotate(people=Count("memberships")))
    leaders: dict[int, list] = {}
    for membership in Membership.objects.filter(role=Membership.Role.LEADER).select_related("user"):
        leaders.setdefault(membership.team_id, []).append(membership.user)
    return {"rows": _team_tree(teams, leaders)}


def _team_tree(teams: Sequence[Team], leaders: dict[int, list]) -> list[Team]:
    """Teams in tree order (each under its parent, by name), with ``depth`` and ``leaders``."""
    children: dict[int | None, list[Team]] = {}
    ids = {team.pk for team in teams}
    for team in teams:
        parent = team.parent_id if team.parent_id in ids else None
        children.setdefault(parent, []).append(team)
    ordered: list[Team] = []
    todo = [(team, 0) for team in reversed(children.get(None, []))]
    seen: set[int] = set()
    while todo:
        team, depth = todo.pop()
        if team.pk in seen:
            continue
        seen.add(team.pk)
        team.depth = depth
        team.indent = "— " * depth
        team.leaders = leaders.get(team.pk, [])
        ordered.append(team)
        todo.extend((child, depth + 1) for child in reversed(children.get(team.pk, [])))
    return ordered


@login_required
def manage_list(request: HttpRequest, kind: str) -> HttpResponse:
    """The strategies, periods, themes or team tree, each list in a constant number of
    queries (``_list_rows``); strategy office only (403 otherwise)."""
    access = access_for(request.user)
    spec = MANAGED[kind]
    _may(spec, access, spec.model())
    return render(
        request,
        f"strategy/manage_{kind}_list.html",
        {"kind": kind, **_list_rows(kind)},
    )


@login_required
def manage_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    """Create (``pk`` None) or edit one object; the form keeps what was typed on an error."""
    access = access_for(request.user)
    spec = MANAGED[kind]
    _may(spec, access, spec.model())  # before any lookup: no 404/403 difference to probe
    if pk is None:
        instance = spec.model()
        if isinstance(instance, Theme):  # kind "theme"
            # None (no strategy yet) leaves the form's strategy to choose; stubs want a Strategy.
            instance.strategy = strategy_current()  # type: ignore[assignment]
    else:
        instance = get_object_or_404(spec.model, pk=pk)
    kwargs = {"access": access} if kind in ("strategy", "team") else {}
    form = spec.form(request.POST or None, instance=instance, **kwargs)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            candidate = form.save(commit=False)
            _may(spec, access, candidate)
            try:
                saved = spec.save(candidate, form, form.expected_version, request.user)
            except VersionConflict as conflict:
                form.version_conflict(conflict)
                status = 409
            except ValidationError as error:
                form_error_add(form, error)
            else:
                messages.success(request, f"Saved the {spec.noun} “{saved}”.")
                return redirect(f"strategy:manage-{kind}-list")
    return render(
        request,
        "strategy/manage_form.html",
        {"form": form, "kind": kind, "noun": spec.noun, "instance": instance},
        status=status,
    )


@login_required
def manage_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Ask, then delete; refused (409, nothing deleted) while anything still refers to it."""
    access = access_for(request.user)
    spec = MANAGED[kind]
    _may(spec, access, spec.model())
    instance = get_object_or_404(spec.model, pk=pk)
    _may(spec, access, instance)
    status = 200
    blocked = ""
    if request.method == "POST":
        try:
            services.plan_object_delete(instance=instance)
        except ProtectedError as error:
            status = 409
            count = len(error.protected_objects)
            blocked = (
                f"“{instance}” is still used by {count} other record{'s' if count != 1 else ''} "
                f"(objectives, themes, sub-teams...): move or delete them first"
                + (", or archive the strategy instead." if kind == "strategy" else ".")
            )
        else:
            messages.success(request, f"Deleted the {spec.noun} “{instance}”.")
            return redirect(f"strategy:manage-{kind}-list")
    return render(
        request,
        "strategy/manage_delete.html",
        {"instance": instance, "kind": kind, "noun": spec.noun, "blocked": blocked},
        status=status,
    )


@login_required
@require_POST
def period_year_create(request: HttpRequest) -> HttpResponse:
    """A year and its four quarters in one go (``strategy.services.periods_year_create``)."""
    _office(request)
    form = PeriodYearForm(request.POST)
    if form.is_valid():
        try:
            created = services.periods_year_create(
                year=form.cleaned_data["year"], first_month=form.cleaned_data["first_month"]
            )
        except ValidationError as error:
            form_error_add(form, error)
        else:
            messages.success(request, f"Created {', '.join(p.name for p in created)}.")
            return redirect("strategy:manage-period-list")
    return render(
        request,
        "strategy/manage_period_list.html",
        {"kind": "period", **_list_rows("period"), "year_form": form},
        status=400,
    )
