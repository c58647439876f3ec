"""The People pages: the list, a person, inviting, memberships (person side and team side),
deactivating with the hand-over of their work, password resets, and the invitation link.

Who may do what is ``strategy.access`` (``can_manage_people``, ``can_manage_memberships``,
``can_grant_role``, ``can_administer_accounts``); the services check it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from execsupport.ratelimit import InvitationThrottle, rate_limited
from execsupport.validation import form_error_add
from strategy.access import access_for
from strategy.invitations import (
    invitation_accept,
    invitation_check,
    invitation_pending,
    invitation_resend,
    person_invite,
)
from strategy.models import HandOver, Membership, Team
from strategy.people import memberships_prefetch, people_choosable, people_for_list
from strategy.people_forms import (
    DeactivateForm,
    InviteForm,
    MembershipForm,
    PeopleFilterForm,
    SetPasswordForm,
    teams_managed,
)
from strategy.people_services import (
    membership_remove,
    membership_set,
    person_deactivate,
    person_owned_counts,
    person_password_reset_send,
)

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest

PEOPLE_PAGE = 50
# The session key under which a link to pass on by hand waits for the next page.
LINK_SESSION_KEY = "people_link_to_pass_on"


def _manager_access(request: HttpRequest):
    access = access_for(request.user)
    if not access.can_manage_people():
        raise PermissionDenied("The People pages are for the strategy office and team leaders.")
    return access


def _person_for(access, pk: int):
    """The person if the reader may see them (the office: anyone), else 404."""
    people = get_user_model().objects.all() if access.is_office else people_choosable(access=access)
    return get_object_or_404(people, pk=pk)


def _keep_link(request: HttpRequest, *, person_id: int, url: str, kind: str) -> None:
    """Keep the link for the person's page, on the host the reader uses (``SITE_URL``, which
    the mails use, may name another one)."""
    url = request.build_absolute_uri(urlsplit(url).path)
    request.session[LINK_SESSION_KEY] = {"person": person_id, "url": url, "kind": kind}


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    """Everyone the reader may manage or choose, ``PEOPLE_PAGE`` a page, filtered by words in the
    name or e-mail, team, role and status (all in the URL)."""
    access = _manager_access(request)
    form = PeopleFilterForm(request.GET or None, access=access)
    data = form.cleaned_data if form.is_valid() else {}
    team = data.get("team")
    people = people_for_list(
        access=access,
        q=data.get("q") or "",
        team_id=team.pk if team else None,
        role=data.get("role") or "",
        status=data.get("active") or "",
    ).prefetch_related(memberships_prefetch(access=access))
    page = Paginator(people, PEOPLE_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "strategy/people_list.html",
        {
            "form": form,
            "page": page,
            "people": list(page.object_list),
            "total": page.paginator.count,
            "can_invite": True,
        },
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A person: their memberships (editable where the reader manages the team), their
    invitation, and for the office deactivation and password reset."""
    access = _manager_access(request)
    person = _person_for(access, pk)
    memberships = list(
        access.scope(person.memberships.select_related("team")).order_by("team__name", "team_id")
    )
    for m in memberships:
        m.can_change = access.can_grant_role(m.team_id, m.role)
    link = request.session.pop(LINK_SESSION_KEY, None)
    if link and link.get("person") != person.pk:
        link = None
    invitation = invitation_pending(user=person)
    return render(
        request,
        "strategy/person_detail.html",
        {
            "person": person,
            "memberships": memberships,
            "invitation": invitation,
            "can_resend": invitation is not None
            and person.is_active
            and (access.is_office or access.can_manage_memberships(invitation.team_id or 0)),
            "link": link,
            "membership_form": MembershipForm(access=access, person=person),
            "can_add": teams_managed(access=access).exists() and person.is_active,
            "can_administer": access.can_administer_accounts() and person.pk != request.user.pk,
            "hand_overs": HandOver.objects.filter(leaving=person).select_related("successor")[:5],
        },
    )


@login_required
@rate_limited(InvitationThrottle)
def person_invite_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Invite someone by e-mail: an account without a password, a membership, and the link
    (mailed; shown here when mail reaches nobody). Rate-limited (``RATE_LIMIT_INVITATIONS``)."""
    access = _manager_access(request)
    form = InviteForm(request.POST or None, access=access)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                sent = person_invite(
                    email=form.cleaned_data["email"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    team=form.cleaned_data["team"],
                    role=form.cleaned_data["role"],
                    by=request.user,
                )
            except ValidationError as error:
                form_error_add(form, error)
            else:
                person = sent.invitation.user
                _invitation_told(request, sent)
                return redirect("strategy:person-detail", pk=person.pk)
    return render(request, "strategy/person_invite.html", {"form": form}, status=status)


def _invitation_told(request: HttpRequest, sent) -> None:
    person = sent.invitation.user
    if sent.show_link:
        _keep_link(request, person_id=person.pk, url=sent.url, kind="invitation")
        messages.warning(
            request,
            f"Invitation created for {person.email}, but no e-mail reaches anyone from this "
            "server: pass the link below to them yourself.",
        )
    else:
        messages.success(request, f"Invitation sent to {person.email}.")


@login_required
@require_POST
@rate_limited(InvitationThrottle)
def person_invitation_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A new link for a pending invitation (earlier links stop working)."""
    access = _manager_access(request)
    person = _person_for(access, pk)
    invitation = invitation_pending(user=person)
    if invitation is None:
        messages.error(request, "There is no pending invitation: they have a password already.")
        return redirect("strategy:person-detail", pk=person.pk)
    try:
        sent = invitation_resend(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _invitation_told(request, sent)
    return redirect("strategy:person-detail", pk=person.pk)


@login_required
@require_POST
def person_membership_save(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Person side: give the person a role on a team (add or change)."""
    access = _manager_access(request)
    person = _person_for(access, pk)
    form = MembershipForm(request.POST, access=access, person=person)
    if form.is_valid():
        try:
            membership_set(
                person=person,
                team=form.cleaned_data["team"],
                role=form.cleaned_data["role"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"{person.get_full_name() or person} is now "
                f"{form.cleaned_data['role']} of {form.cleaned_data['team'].name}.",
            )
    else:
        messages.error(
            request,
            "Not saved: " + " ".join(str(e) for errors in form.errors.values() for e in errors),
        )
    return redirect("strategy:person-detail", pk=person.pk)


def _membership_for(access, pk: int) -> Membership:
    return get_object_or_404(access.scope(Membership.objects.select_related("user", "team")), pk=pk)


@login_required
@require_POST
def membership_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Remove a membership; back to the page it was removed from (``next``: person or team)."""
    access = _manager_access(request)
    membership = _membership_for(access, pk)
    membership_remove(membership=membership, by=request.user)
    messages.success(
        request,
        f"{membership.user.get_full_name() or membership.user} left {membership.team.name}.",
    )
    if request.POST.get("from") == "team":
        return redirect("strategy:team-members", pk=membership.team_id)
    return redirect("strategy:person-detail", pk=membership.user_id)


@login_required
def team_members(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Team side: the team's members and their roles; leaders of the team (or above) and the
    office add people, change roles (up to their own) and remove members."""
    access = access_for(request.user)
    team = get_object_or_404(access.scope(Team.objects.all(), "id"), pk=pk)
    if not access.can_manage_memberships(team.pk):
        raise PermissionDenied("Only the team's leaders and the strategy office manage it.")
    form = MembershipForm(request.POST or None, access=access, team=team)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                membership_set(
                    person=form.cleaned_data["person"],
                    team=team,
                    role=form.cleaned_data["role"],
                    by=request.user,
                )
            except ValidationError as error:
                form_error_add(form, error)
            else:
                messages.success(request, "Saved.")
                return redirect("strategy:team-members", pk=team.pk)
    members = list(
        team.memberships.select_related("user").order_by(
            "user__first_name", "user__last_name", "user__username"
        )
    )
    for m in members:
        m.can_change = access.can_grant_role(team.pk, m.role)
    return render(
        request,
        "strategy/team_members.html",
        {"team": team, "members": members, "form": form},
        status=status,
    )


@login_required
def person_deactivate_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Deactivate someone (office), first handing their work over to a successor."""
    access = access_for(request.user)
    if not access.can_administer_accounts():
        raise PermissionDenied("Only the strategy office deactivates people.")
    person = _person_for(access, pk)
    if person.pk == request.user.pk:
        raise PermissionDenied("You cannot deactivate yourself.")
    form = DeactivateForm(request.POST or None, access=access, person=person)
    owned = person_owned_counts(person=person)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                done = person_deactivate(
                    person=person, successor=form.cleaned_data["successor"], by=request.user
                )
            except ValidationError as error:
                form_error_add(form, error)
            else:
                told = f"{person.get_full_name() or person} was deactivated."
                if done is not None:
                    told += (
                        f" Handed over to {done.successor.get_full_name() or done.successor}: "
                        f"{done.objectives} objective(s), {done.initiatives} initiative(s), "
                        f"{done.kpis} KPI(s), {done.alerts} alert(s)."
                    )
                messages.success(request, told)
                return redirect("strategy:person-detail", pk=person.pk)
    return render(
        request,
        "strategy/person_deactivate.html",
        {"person": person, "form": form, "owned": owned},
        status=status,
    )


@login_required
@require_POST
def person_password_reset(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The office sends someone a password-reset link (shown here when mail reaches nobody)."""
    access = access_for(request.user)
    if not access.can_administer_accounts():
        raise PermissionDenied("Only the strategy office sends password resets.")
    person = _person_for(access, pk)
    try:
        sent = person_password_reset_send(person=person, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if sent.show_link:
            _keep_link(request, person_id=person.pk, url=sent.url, kind="reset")
            messages.warning(
                request, "No e-mail reaches anyone from this server: pass the link below on."
            )
        else:
            messages.success(request, f"A password-reset link was sent to {person.email}.")
    return redirect("strategy:person-detail", pk=person.pk)


def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    """The invited person's link: set a password (then signed in, through django-allauth's
    login, so the second-factor rules apply), or a page saying the link expired, was replaced
    by a newer one, or was already used."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.account.utils import perform_login

    check = invitation_check(token=token)
    if check.state == "invalid":
        raise Http404("This is not an invitation link.")
    if check.state != "valid":
        status = 410 if check.state in ("expired", "replaced") else 409
        return render(
            request,
            "account/invitation_closed.html",
            {"state": check.state, "invitation": check.invitation},
            status=status,
        )
    assert check.invitation is not None  # a valid link has its invitation
    person = check.invitation.user
    form = SetPasswordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                person = invitation_accept(
                    token=token,
                    password1=form.cleaned_data["password1"],
                    password2=form.cleaned_data["password2"],
                )
            except ValidationError as error:
                if getattr(error, "code", None) in ("expired", "replaced", "used", "invalid"):
                    return redirect(request.path)
                form_error_add(form, error)
            else:
                record_authentication(request, person, method="password")
                response = perform_login(request, person)
                messages.success(request, "Welcome: your password is set.")
                return response
    return render(
        request,
        "account/invitation_accept.html",
        {"form": form, "person": person},
        status=status,
    )
