"""The demo's pulse surveys: an execution-pulse survey and a capability-check survey (the one
template that asks "I am building the skills our strategy needs from me", which the support
plan's talent measure tracks), each with two closed rounds sent to every team of the company:
the first closed before the support plan's first assessment (``demo.builder.support_plan``,
70 days ago), the second a week ago; each answered by most of each team (colleagues are added so that teams reach
the anonymity threshold), except Finance, which stays below it (its two answers wait in the
pool and are never shown).

Written directly (bulk) rather than through ``surveys.services.response_submit``, keeping the
answer store's invariants: a guard row per respondent, responses with random keys (drawn from
the seeded generator, so the demo stays deterministic) inserted in a shuffled order, every
team's stored answers at least the threshold, fewer kept in the pending pool."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from demo.builder import org
from demo.builder.base import BuilderBase, User
from demo.builder.names import FIRST_NAMES, LAST_NAMES
from strategy.models import Membership
from surveys.catalogue import FREE_TEXT_CODE, FREE_TEXT_PROMPT, STANDARD_ITEMS, TEMPLATES
from surveys.models import (
    Answer,
    Participation,
    PendingPool,
    Question,
    Response,
    RoundTeam,
    Survey,
    SurveyRound,
)

# team ref -> direct answering members wanted (colleagues fill up to it); Finance stays small.
TEAM_SIZES = {
    "sales": 8,
    "cs": 7,
    "marketing": 6,
    "platform": 9,
    "mobile": 7,
    "people": 6,
}
BELOW_THRESHOLD_TEAM = "finance"
# item -> mean answer per round (older, newer): understanding improves after the first round.
ITEM_MEANS = {
    "understand_strategy": (3.1, 3.7),
    "know_priorities": (3.4, 3.9),
    "have_resources": (2.8, 2.9),
    "problems_fixed": (2.9, 3.3),
    "leader_vision_trust": (3.5, 3.6),
    "skills_growth": (3.0, 3.4),
}
# (template, name, days before today it was created, rounds: (label, opens, closes days ago))
SURVEYS = (
    (
        "execution_pulse",
        "Execution pulse",
        100,
        (("Last quarter's pulse", 90, 76), ("This quarter's pulse", 21, 7)),
    ),
    (
        "capability_check",
        "Capability check",
        100,
        (("Last quarter's capability check", 90, 76), ("This quarter's capability check", 21, 7)),
    ),
)
COMMENTS = (
    "Priorities change too often mid-quarter.",
    "The new weekly check-in helps me see where we stand.",
    "We wait too long for decisions on budget.",
    "More context on why the targets were chosen, please.",
    "Hiring for the platform team is the real bottleneck.",
    "Good to see blockers picked up quickly lately.",
)


class SurveyBuilder(BuilderBase):
    """Mixin of the demo builder (``demo.builder.build._Builder``)."""

    def build_surveys(self) -> None:
        """Fill the company copy's teams up to ``TEAM_SIZES`` with members who never sign in, then
        build the ``SURVEYS`` with their answers."""
        copy = self.copies[0]
        rng = random.Random(f"execsupport-demo-surveys:{self.seed}")
        members: dict[str, list] = {}
        for spec in org.PEOPLE:
            for team_ref, role in spec.memberships:
                if role in ("member", "leader") and spec.ref in copy.people:
                    members.setdefault(team_ref, []).append(copy.people[spec.ref])
        user = User(username="_")
        user.set_unusable_password()  # colleagues answer surveys; they never sign in
        colleagues, memberships = [], []
        for team_ref, size in TEAM_SIZES.items():
            for _ in range(size - len(members.get(team_ref, []))):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                username = self.username_for(first, last)
                person = User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@{org.EMAIL_DOMAIN}",
                    password=user.password,
                )
                colleagues.append(person)
                members.setdefault(team_ref, []).append(person)
                memberships.append(
                    Membership(user=person, team=copy.teams[team_ref], role=Membership.Role.MEMBER)
                )
        self.insert(User, colleagues)
        self.insert(Membership, memberships)

        for template, name, created_ago, windows in SURVEYS:
            self._build_survey(
                rng, members, template=template, name=name, created_ago=created_ago, windows=windows
            )

    def _build_survey(self, rng, members, *, template, name, created_ago, windows) -> None:
        copy = self.copies[0]
        office = copy.people["office"]
        spec = TEMPLATES[template]
        survey = Survey.objects.create(
            strategy=self.strategy,
            name=name,
            template=spec.key,
            created_by=office,
            created_on=self.today - dt.timedelta(days=created_ago),
        )
        questions = [
            Question(survey=survey, order=i, code=code, text=STANDARD_ITEMS[code])
            for i, code in enumerate(spec.items)
        ]
        questions.append(
            Question(
                survey=survey,
                order=len(questions),
                code=FREE_TEXT_CODE,
                kind=Question.Kind.TEXT,
                text=FREE_TEXT_PROMPT,
            )
        )
        Question.objects.bulk_create(questions)
        by_code = {q.code: q for q in questions}

        for which, (label, opens_ago, closes_ago) in enumerate(windows):
            round_ = SurveyRound.objects.create(
                survey=survey,
                label=label,
                opens_on=self.today - dt.timedelta(days=opens_ago),
                closes_on=self.today - dt.timedelta(days=closes_ago),
                created_by=office,
            )
            RoundTeam.objects.bulk_create(
                RoundTeam(round=round_, team=copy.teams[t.ref], invited=len(members.get(t.ref, [])))
                for t in org.TEAMS
            )
            guards: list[Participation] = []
            responses: list[Response] = []
            answers: list[Answer] = []
            answered: set[str] = set()  # one answer per person per round
            for team_ref in [*TEAM_SIZES, BELOW_THRESHOLD_TEAM]:
                people = [p for p in members.get(team_ref, []) if p.username not in answered]
                if team_ref == BELOW_THRESHOLD_TEAM:
                    chosen = people[:2]
                else:
                    chosen = rng.sample(people, k=max(5, len(people) - rng.randint(0, 2)))
                answered.update(p.username for p in chosen)
                guards.extend(Participation(round=round_, person=p) for p in chosen)
                entries = [self._survey_entry(rng, which, spec.items) for _ in chosen]
                if team_ref == BELOW_THRESHOLD_TEAM:
                    PendingPool.objects.create(
                        round=round_, team=copy.teams[team_ref], responses=entries
                    )
                    continue
                for entry in entries:
                    response = Response(
                        id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        round=round_,
                        team=copy.teams[team_ref],
                    )
                    responses.append(response)
                    for code, value in entry["scale"].items():
                        answers.append(self._survey_answer(rng, response, by_code[code], value))
                    for code, text in entry["text"].items():
                        answers.append(
                            self._survey_answer(rng, response, by_code[code], None, text)
                        )
            rng.shuffle(guards)  # the guard's order says nothing about the answers' order
            rng.shuffle(responses)
            rng.shuffle(answers)
            Participation.objects.bulk_create(guards)
            Response.objects.bulk_create(responses)
            Answer.objects.bulk_create(answers)

    @staticmethod
    def _survey_entry(rng: random.Random, which: int, codes: tuple[str, ...]) -> dict:
        scale = {}
        for code in codes:
            value = round(rng.gauss(ITEM_MEANS[code][which], 0.9))
            scale[code] = min(5, max(1, value))
        text = {FREE_TEXT_CODE: rng.choice(COMMENTS)} if rng.random() < 0.3 else {}
        return {"scale": scale, "text": text}

    @staticmethod
    def _survey_answer(rng, response, question, value, text: str = "") -> Answer:
        return Answer(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            response=response,
            question=question,
            value=value,
            text=text,
        )
