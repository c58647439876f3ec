"""The demo organisation: Brightwell Systems, a mid-size B2B SaaS company.

Brightwell sells field-service management software (scheduling, work orders and a mobile app
for technicians) to mid-market companies. Everything here is data; ``build.py`` turns it into
rows. References between specs are short string refs, resolved per copy of the organisation.
"""

from __future__ import annotations

from dataclasses import dataclass

from execsupport.checks import DEMO_EMAIL_DOMAIN, DEMO_USERNAMES, PUBLISHED_DEMO_PASSWORDS

COMPANY_NAME = "Brightwell Systems"
# .example is reserved: these addresses never deliver. The published demo password and the
# domain live in execsupport.checks, whose `check --deploy` refuses accounts that still use it.
EMAIL_DOMAIN = DEMO_EMAIL_DOMAIN
DEMO_PASSWORD = PUBLISHED_DEMO_PASSWORDS[0]


@dataclass(frozen=True)
class TeamSpec:
    """One team of the demo organisation (``ref``: how the other specs name it)."""

    ref: str
    name: str
    kind: str  # company / division / team
    parent: str | None
    description: str = ""
    private: bool = False


@dataclass(frozen=True)
class PersonSpec:
    """One demo person: name, job, roles (team ref, role) and whether they are the strategy
    office."""

    ref: str
    first: str
    last: str
    job: str
    memberships: tuple[tuple[str, str], ...] = ()  # (team ref, role)
    username: str | None = None  # default: first.last
    office: bool = False  # strategy office group + superuser


@dataclass(frozen=True)
class ThemeSpec:
    """One strategic theme of the demo strategy (``weight``: a decimal as text)."""

    ref: str
    name: str
    colour: str
    weight: str
    description: str


@dataclass(frozen=True)
class ObjectiveSpec:
    """One demo objective: its theme, team, owner and parent (refs), period and status."""

    ref: str
    theme: str
    team: str
    owner: str | None  # None on purpose for a couple: exercises the "no owner" alert
    parent: str | None
    title: str
    description: str
    priority: int = 2
    weight: str = "1"
    period: str = "year"  # year / last_year / quarter
    status: str = "active"
    # Company-level objectives have no copy at company level when the organisation is scaled:
    # in a copy they become the business unit's objective, owned by this division.
    unit_team: str | None = None


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec("company", COMPANY_NAME, "company", None, "Field-service management software."),
    TeamSpec("gtm", "Go-to-Market", "division", "company", "Sales, marketing and customers."),
    TeamSpec("pe", "Product & Engineering", "division", "company", "Platform and apps."),
    TeamSpec("ops", "Operations", "division", "company", "Finance and people."),
    TeamSpec("sales", "Sales", "team", "gtm", "New business and expansion, mid-market focus."),
    TeamSpec("cs", "Customer Success", "team", "gtm", "Onboarding, support and retention."),
    TeamSpec("marketing", "Marketing", "team", "gtm", "Brand, demand generation, events."),
    TeamSpec("platform", "Platform Engineering", "team", "pe", "Core scheduling platform, SRE."),
    TeamSpec("mobile", "Mobile Apps", "team", "pe", "The technician app on iOS and Android."),
    TeamSpec("finance", "Finance", "team", "ops", "FP&A, billing, procurement."),
    TeamSpec(
        "people",
        "People",
        "team",
        "ops",
        "Recruiting, people operations, engagement. Private: compensation and attrition data.",
        private=True,
    ),
)

L, M, V = "leader", "member", "viewer"

PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec("office", "Olivia", "Bennett", "Head of Strategy Office", (), "office", True),
    PersonSpec("ceo", "Catherine", "Shaw", "Chief Executive Officer", (("company", L),)),
    PersonSpec("leader", "Leila", "Haddad", "VP Go-to-Market", (("gtm", L),), "leader"),
    PersonSpec("cto", "Priya", "Raman", "Chief Technology Officer", (("pe", L),)),
    PersonSpec("cfo", "Daniel", "Okafor", "Chief Financial Officer", (("ops", L),)),
    PersonSpec("sales_lead", "Tom", "Fischer", "Head of Sales", (("sales", L),)),
    PersonSpec("cs_lead", "Hannah", "Kowalski", "Head of Customer Success", (("cs", L),)),
    PersonSpec("mkt_lead", "Sofia", "Marín", "Head of Marketing", (("marketing", L),)),
    PersonSpec("plat_lead", "Kenji", "Watanabe", "Director of Platform", (("platform", L),)),
    PersonSpec("mobile_lead", "Aisha", "Bello", "Head of Mobile", (("mobile", L),)),
    PersonSpec("fin_lead", "Jonas", "Berg", "Finance Director", (("finance", L),)),
    PersonSpec("people_lead", "Grace", "O'Neill", "Head of People", (("people", L),)),
    PersonSpec("member", "Marco", "Rossi", "Customer Success Manager", (("cs", M),), "member"),
    PersonSpec(
        "viewer", "Vera", "Lindqvist", "Revenue Operations Analyst", (("gtm", V),), "viewer"
    ),
    PersonSpec("ethan", "Ethan", "Clarke", "Account Executive", (("sales", M),)),
    PersonSpec("nadia", "Nadia", "Petrova", "SDR Manager", (("sales", M),)),
    PersonSpec("lucy", "Lucy", "Adeyemi", "Onboarding Lead", (("cs", M),)),
    PersonSpec("chloe", "Chloé", "Dubois", "Demand Generation Manager", (("marketing", M),)),
    PersonSpec("ravi", "Ravi", "Patel", "Staff Engineer", (("platform", M),)),
    PersonSpec("sam", "Sam", "Goldberg", "Site Reliability Engineer", (("platform", M),)),
    PersonSpec("mei", "Mei", "Lin", "Senior Backend Engineer", (("platform", M),)),
    PersonSpec("lukas", "Lukas", "Novak", "Senior Android Engineer", (("mobile", M),)),
    PersonSpec("fatima", "Fatima", "El-Amin", "Product Designer", (("mobile", M),)),
    PersonSpec("oliver", "Oliver", "Grant", "FP&A Manager", (("finance", M),)),
    PersonSpec("isabel", "Isabel", "Costa", "Talent Acquisition Lead", (("people", M),)),
    PersonSpec("henrik", "Henrik", "Dahl", "Board Observer", (("company", V),)),
    PersonSpec("nora", "Nora", "Quinn", "Finance Business Partner", (("pe", V),)),
)

# The fixed sign-in personas printed by the command, in the order shown.
LOGIN_PERSONAS = DEMO_USERNAMES

THEMES: tuple[ThemeSpec, ...] = (
    ThemeSpec(
        "growth",
        "Win the mid-market",
        "#2563eb",
        "1.50",
        "Become the default field-service platform for companies with 50-500 technicians.",
    ),
    ThemeSpec(
        "retention",
        "Customers for life",
        "#16a34a",
        "1.25",
        "Every customer live fast, healthy and growing with us.",
    ),
    ThemeSpec(
        "platform",
        "A platform that scales",
        "#9333ea",
        "1.00",
        "Fast, reliable and ready for ten times today's load.",
    ),
    ThemeSpec(
        "lean",
        "Run lean, grow people",
        "#ea580c",
        "0.75",
        "Profitable growth with a team people want to join and stay in.",
    ),
)

STRATEGY_NAME = "Brightwell 3-year plan: the field-service platform of choice"
VISION = (
    "By the end of the plan, every mid-market field-service company can run its whole day on "
    "Brightwell: jobs scheduled in seconds, technicians who love the app, and customers who "
    "renew because the numbers prove it pays. We grow ARR by a third a year while reaching "
    "operating break-even, on a platform that never makes a technician wait."
)

OBJECTIVES: tuple[ObjectiveSpec, ...] = (
    # --- Win the mid-market --------------------------------------------------------------------
    ObjectiveSpec(
        "o_arr", "growth", "company", "ceo", None,
        "Grow ARR from €38M to €50M",
        "The headline growth goal for the year; mid-market new business carries most of it.",
        priority=4, weight="2", unit_team="gtm",
    ),
    ObjectiveSpec(
        "o_motion", "growth", "gtm", "leader", "o_arr",
        "Build a repeatable mid-market sales motion",
        "Shorter cycles and predictable win rates from a documented, coached playbook.",
        priority=3, weight="1.5",
    ),
    ObjectiveSpec(
        "o_pipeline", "growth", "sales", "sales_lead", "o_motion",
        "Double qualified mid-market pipeline",
        "Outbound, partners and marketing together create enough pipeline for next year.",
        priority=3,
    ),
    ObjectiveSpec(
        "o_pilots", "growth", "sales", "sales_lead", "o_pipeline",
        "Convert this quarter's enterprise pilots",
        "Six paid pilots end this quarter; each needs an executive sponsor and a signed order.",
        priority=3, period="quarter",
    ),
    ObjectiveSpec(
        "o_brand", "growth", "marketing", "mkt_lead", "o_motion",
        "Become the best-known name in field-service software",
        "Buyers shortlist us before they talk to sales.",
    ),
    # --- Customers for life -------------------------------------------------------------------
    ObjectiveSpec(
        "o_nrr", "retention", "company", "ceo", None,
        "Raise net revenue retention from 104% to 112%",
        "Keep the customers we win and grow with them: expansion must outrun churn.",
        priority=4, weight="1.5", unit_team="gtm",
    ),
    ObjectiveSpec(
        "o_churn", "retention", "cs", "cs_lead", "o_nrr",
        "Halve SMB logo churn",
        "Smaller accounts churn twice as often as mid-market ones; find them early and save them.",
        priority=4,
    ),
    ObjectiveSpec(
        "o_onboard", "retention", "cs", None, "o_nrr",
        "Get every new customer live within 30 days",
        "Slow onboarding is the first cause of early churn. Owner to be named after the reorg.",
        priority=3,
    ),
    # --- A platform that scales ---------------------------------------------------------------
    ObjectiveSpec(
        "o_platform", "platform", "company", "cto", None,
        "Run a platform that is fast and reliable at ten times today's load",
        "Availability, speed and cost per job must hold as the mid-market customers arrive.",
        priority=3, weight="1.5", unit_team="pe",
    ),
    ObjectiveSpec(
        "o_modernise", "platform", "pe", "cto", "o_platform",
        "Modernise the core scheduling platform",
        "Containerised services, an event-driven API and deployments many times a day.",
        priority=3,
    ),
    ObjectiveSpec(
        "o_uptime", "platform", "platform", "plat_lead", "o_modernise",
        "Reach 99.95% availability",
        "At most 22 minutes of downtime a month, measured by the customer-facing SLO.",
        priority=4,
    ),
    ObjectiveSpec(
        "o_mobile", "platform", "mobile", "mobile_lead", "o_platform",
        "Ship an offline-first mobile app technicians love",
        "Technicians work in basements and rural sites: the app must work without signal.",
        priority=3,
    ),
    # --- Run lean, grow people ----------------------------------------------------------------
    ObjectiveSpec(
        "o_efficiency", "lean", "company", "cfo", None,
        "Reach operating break-even by year end",
        "From -8% operating margin to break-even without slowing growth.",
        priority=3, weight="1.25", unit_team="ops",
    ),
    ObjectiveSpec(
        "o_cloud", "lean", "finance", None, "o_efficiency",
        "Keep cloud costs under 11% of revenue",
        "Rightsizing, reserved capacity and cost ownership per team. Owner left in June.",
    ),
    ObjectiveSpec(
        "o_people", "lean", "people", "people_lead", "o_efficiency",
        "Make Brightwell a place great engineers choose",
        "Hire the engineers the plan needs and keep the ones we have.",
        priority=3,
    ),
    ObjectiveSpec(
        "o_billing", "lean", "finance", "fin_lead", "o_efficiency",
        "Move every customer to the new billing platform",
        "Last year's objective, achieved: all invoices now come from the new platform.",
        period="last_year", status="achieved",
    ),
)  # fmt: skip
