"""Pages of pulse surveys: list and create from a template, a survey with its rounds and the
trend of every question, a round's results per question and team, and answering (from My
work or an e-mailed link). Every figure comes from ``surveys.results`` (the anonymity rules);
no page shows an individual answer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from execsupport.validation import form_error_add
from strategy.access import access_for
from strategy.selectors import strategy_current
from surveys import anonymity, results, selectors, services
from surveys.catalogue import SCALE_LABELS
from surveys.forms import AnswerForm, RoundForm, SurveyForm
from surveys.models import Question


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    """The surveys the person may see; the office and leaders create one from a template."""
    access = access_for(request.user)
    if not access.sees_anything:
        return render(request, "no_access.html", status=403)
    strategy = strategy_current()
    form = None
    if services.may_create_survey(access=access) and strategy is not None:
        form = SurveyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                survey = services.survey_create(
                    access=access,
                    user=request.user,
                    strategy=strategy,
                    template=form.cleaned_data["template"],
                    name=form.cleaned_data["name"],
                )
            except ValidationError as exc:
                form_error_add(form, exc)
            else:
                messages.success(request, "Survey created: send it to teams below.")
                return redirect(survey.get_absolute_url())
    elif request.method == "POST":
        raise PermissionDenied("Only the strategy office and leaders create surveys.")
    surveys = list(selectors.surveys_visible(access=access).order_by("-created_on", "name"))
    today = timezone.localdate()
    return render(
        request,
        "surveys/survey_list.html",
        {
            "surveys": surveys,
            "form": form,
            "open_rounds": selectors.rounds_open_for(user=request.user, today=today),
        },
    )


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A survey: its questions, its rounds (send a new one here) and, per question, the
    distribution across rounds for the chosen team (trend)."""
    access = access_for(request.user)
    survey = selectors.survey_get_for_user(access=access, pk=pk)
    today = timezone.localdate()
    teams = selectors.teams_to_send(access=access)
    form = None
    if teams:
        form = RoundForm(request.POST or None, teams=teams, today=today)
        if request.method == "POST" and form.is_valid():
            try:
                round_ = services.round_send(
                    access=access, user=request.user, survey=survey, **form.cleaned_data
                )
            except ValidationError as exc:
                form_error_add(form, exc)
            else:
                messages.success(request, "Survey sent: the teams' people were told.")
                return redirect(round_.get_absolute_url())
    elif request.method == "POST":
        raise PermissionDenied("Only leaders send surveys to their teams.")
    rounds = selectors.rounds_of(access=access, survey=survey)
    for r in rounds:
        r.visible_teams = [
            rt.team for rt in r.round_teams.all() if access.can_view_team(rt.team_id)
        ]
    team_choices = sorted(
        {
            (rt.team_id, rt.team.name)
            for r in rounds
            for rt in r.round_teams.all()
            if access.can_view_team(rt.team_id)
        },
        key=lambda t: (t[1], t[0]),
    )
    try:
        chosen = int(request.GET.get("team") or 0) or None
    except ValueError:
        chosen = None
    if chosen not in {t for t, _ in team_choices}:
        chosen = None
    questions = [q for q in survey.questions.all() if q.kind == Question.Kind.SCALE]
    trend = []
    for q in questions:
        rows = [
            r
            for r in results.item_results(
                access=access,
                strategy=survey.strategy,
                item_code=q.code,
                team_ids=[chosen] if chosen else None,
            )
            if r.team_id is None and r.round_id in {x.id for x in rounds}
        ]
        trend.append({"question": q, "rows": rows})
    return render(
        request,
        "surveys/survey_detail.html",
        {
            "survey": survey,
            "rounds": rounds,
            "form": form,
            "trend": trend,
            "team_choices": team_choices,
            "chosen": chosen,
            "scale": SCALE_LABELS,
            "threshold": anonymity.min_respondents(),
            "today": today,
        },
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A round: open or closed, who it was sent to, and per question the distribution and mean
    per team and combined, as the anonymity rules allow; the free text, shuffled, only with a
    combined figure that passes."""
    access = access_for(request.user)
    round_ = selectors.round_get_for_user(access=access, pk=pk)
    today = timezone.localdate()
    cells, by_code = results.round_results(access=access, round_=round_)
    texts_shown, texts = results.round_texts(access=access, cells=cells)
    questions = [q for q in round_.survey.questions.all() if q.kind == Question.Kind.SCALE]
    teams = {rt.team_id: rt.team for rt in round_.round_teams.all()}
    participation: list[dict[str, Any]] = []
    for rt in round_.round_teams.all():
        if not access.can_view_team(rt.team_id):
            continue
        shown = cells.shown(rt.team_id)
        participation.append(
            {
                "team": rt.team,
                "respondents": cells.counts[rt.team_id] if shown else None,
                "invited": cells.invited[rt.team_id] if shown else None,
            }
        )
    participation.sort(key=lambda p: p["team"].name)
    return render(
        request,
        "surveys/round_detail.html",
        {
            "round": round_,
            "is_open": round_.is_open(today=today),
            "can_manage": services.may_manage_round(access=access, round_=round_),
            "can_answer": round_.is_open(today=today)
            and bool(services.answering_teams(user=request.user, round_=round_))
            and not services.has_answered(user=request.user, round_=round_),
            "questions": [
                {
                    "question": q,
                    "rows": [
                        {"result": r, "team": teams.get(r.team_id) if r.team_id else None}
                        for r in by_code[q.code]
                    ],
                }
                for q in questions
            ],
            "participation": participation,
            "texts_shown": texts_shown,
            "texts": texts,
            "scale": SCALE_LABELS,
            "threshold": anonymity.min_respondents(),
            "today": today,
        },
    )


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a round before its end (its teams' leaders, the office)."""
    access = access_for(request.user)
    round_ = selectors.round_get_for_user(access=access, pk=pk)
    services.round_close(access=access, round_=round_)
    messages.success(request, "Survey closed. You can reopen it until its last day.")
    return redirect(round_.get_absolute_url())


@login_required
@require_POST
def round_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Reopen a round closed early, within its window."""
    access = access_for(request.user)
    round_ = selectors.round_get_for_user(access=access, pk=pk)
    try:
        services.round_reopen(access=access, round_=round_, today=timezone.localdate())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Survey reopened.")
    return redirect(round_.get_absolute_url())


@login_required
def round_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a round (members and leaders of the teams it was sent to, once)."""
    access = access_for(request.user)
    round_ = selectors.round_get_for_user(access=access, pk=pk)
    today = timezone.localdate()
    teams = services.answering_teams(user=request.user, round_=round_)
    if not teams:
        raise PermissionDenied("This survey was not sent to your team.")
    state = ""
    if services.has_answered(user=request.user, round_=round_):
        state = "answered"
    elif not round_.is_open(today=today):
        state = "closed"
    form = AnswerForm(request.POST or None, round_=round_, teams=teams)
    if request.method == "POST" and not state and form.is_valid():
        scale, text = form.answers()
        try:
            services.response_submit(
                user=request.user,
                round_=round_,
                team_id=form.cleaned_data.get("team"),
                scale=scale,
                text=text,
                today=today,
            )
        except ValidationError as exc:
            form_error_add(form, _prefixed(exc))
        except services.AlreadyAnswered:
            state = "answered"
        else:
            messages.success(request, "Thank you: your answers were recorded anonymously.")
            return redirect("initiatives:my-work")
    status = 409 if request.method == "POST" and state else 200
    if request.method == "POST" and not state and form.errors:
        status = 400
    return render(
        request,
        "surveys/round_answer.html",
        {"round": round_, "form": form, "state": state, "threshold": anonymity.min_respondents()},
        status=status,
    )


@login_required
def answer_link(request: HttpRequest, token: str) -> HttpResponse:
    """An e-mailed link: valid only for the person it was sent to (signed), it leads to the
    round's answer page. A link for someone else or a tampered one: 404."""
    try:
        data = signing.loads(token, salt=services.ANSWER_LINK_SALT, max_age=60 * 60 * 24 * 366)
    except signing.BadSignature:
        return render(request, "404.html", status=404)
    if data.get("u") != request.user.pk:
        return render(request, "404.html", status=404)
    return redirect("surveys:answer", pk=int(data.get("r", 0)))


def _prefixed(exc: ValidationError) -> ValidationError:
    """A service's field errors keyed by question code, keyed by form field instead."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {
            (key if key in ("team", "__all__") else f"q_{key}"): value
            for key, value in exc.error_dict.items()
        }
    )
