"""The demo's KPIs: what each measures, its plan, and the story its measurements tell.

``scenario`` shapes the generated series (see ``series.py``): ``on_track``, ``ahead``,
``at_risk``, ``off_track``, ``early_warning`` (a leading KPI turning bad while the lagging KPIs
of its objective still look fine), ``stale`` (no value for weeks), ``frozen`` (the same value
repeated: a broken feed), ``jump`` (one implausible value: a double-counted import),
``no_data`` (defined, never measured) and ``achieved`` (target reached, plan over).

Cadences mix daily warehouse feeds, weekly exports and monthly closes so a KPI averages about
300 measurements over 12-18 months of history.
"""

from __future__ import annotations

from dataclasses import dataclass

DAILY, WEEKLY, MONTHLY = 1, 7, 30


@dataclass(frozen=True)
class RevisionSpec:
    """A KPI's plan revision in the demo: the baseline and/or target before it (None: unchanged),
    why, how many months ago and by whom (a person ref)."""

    old_baseline: float | None
    old_target: float | None
    reason: str
    months_ago: int
    by: str


@dataclass(frozen=True)
class KPISpec:
    """One demo KPI: its definition, the objective or initiative it measures, its owner (a person
    ref) and how its measurement series behaves (``scenario``, noise, bounds, trajectory)."""

    key: str
    name: str
    unit: str
    kind: str
    direction: str
    baseline: float
    target: float
    cadence: int
    subject: str  # an objective ref (o_...) or an initiative ref (i_...)
    owner: str
    scenario: str
    source: str
    decimals: int = 1
    range: tuple[float, float] | None = None
    bounds: tuple[float | None, float | None] = (0.0, None)
    noise: float = 0.04  # white-noise sd as a share of the plan's span
    weekly: float = 0.0  # weekend dip of daily counts, as a share of the value
    trajectory: tuple[float, ...] = ()  # planned share of the span at each quarter mark
    revision: RevisionSpec | None = None
    baseline_months: int = 8  # baseline date: first of the month this many months ago
    horizon_months: int = 12  # target date: this many months after the baseline
    weight: str = "1"
    description: str = ""
    cumulative: bool = False  # a running total: never goes down, starts at the baseline date
    active: bool = True  # retired KPIs stopped being measured at their target date


PCT = (0.0, 100.0)

KPIS: tuple[KPISpec, ...] = (
    # --- o_arr / growth ----------------------------------------------------------------------
    KPISpec("arr", "Annual recurring revenue", "€M", "lagging", "increase", 38.0, 50.0, DAILY,
            "o_arr", "ceo", "at_risk", "Subscription analytics, nightly sync from billing",
            decimals=2, noise=0.004, weight="2", trajectory=(0.2, 0.45, 0.72),
            revision=RevisionSpec(None, 48.0, "The board raised the goal from €48M to €50M after "
                                  "the second-quarter bookings beat plan by 9%.", 4, "ceo")),
    KPISpec("win-rate-mid-market", "Win rate, mid-market (rolling 90 days)", "%", "lagging",
            "increase", 18, 26, DAILY, "o_motion", "sales_lead", "on_track",
            "CRM opportunity history, nightly warehouse model", bounds=PCT, noise=0.05),
    KPISpec("sales-cycle-days", "Median sales cycle, mid-market", "days", "lagging", "decrease",
            94, 70, DAILY, "o_motion", "leader", "on_track",
            "CRM opportunity history, nightly warehouse model", decimals=0, noise=0.05),
    KPISpec("sql-mid-market", "Sales-qualified leads, mid-market (7-day total)", "SQLs", "leading",
            "increase", 45, 90, DAILY, "o_pipeline", "sales_lead", "off_track",
            "Marketing automation to CRM handover, nightly", decimals=0, noise=0.06,
            weekly=0.0),
    KPISpec("pipeline-coverage", "Pipeline coverage of next quarter's target", "x", "leading",
            "range", 2.6, 3.5, DAILY, "o_pipeline", "sales_lead", "on_track",
            "CRM pipeline snapshot, nightly", decimals=2, range=(3.0, 4.0), noise=0.05),
    KPISpec("meetings-booked", "SDR meetings booked per day", "meetings", "leading", "increase",
            6, 14, DAILY, "i_sdr", "nadia", "at_risk", "Sales engagement tool API, daily",
            decimals=0, noise=0.15, weekly=0.8, baseline_months=6),
    KPISpec("partner-sourced-pipeline", "Partner-sourced pipeline", "€k", "leading", "increase",
            0, 1500, MONTHLY, "i_partner", "ethan", "no_data",
            "CRM partner field, monthly (from the first partner deal)", decimals=0,
            baseline_months=2, description="Defined when the programme started; no partner "
            "deal is registered yet."),
    KPISpec("pilot-conversion", "Enterprise pilots converted to orders", "%", "lagging",
            "increase", 30, 60, WEEKLY, "o_pilots", "sales_lead", "ahead",
            "Pilot desk tracker, updated each Friday", decimals=0, bounds=PCT, noise=0.05,
            baseline_months=3, horizon_months=4),
    KPISpec("aided-awareness", "Aided brand awareness among target buyers", "%", "lagging",
            "increase", 12, 20, MONTHLY, "o_brand", "mkt_lead", "on_track",
            "Monthly brand tracker, online panel of 400 operations leaders", bounds=PCT),
    KPISpec("website-demo-requests", "Website demo requests per day", "requests", "leading",
            "increase", 25, 45, DAILY, "o_brand", "chloe", "on_track",
            "Web analytics goal completions, daily API pull", decimals=0, noise=0.12,
            weekly=0.6),
    KPISpec("organic-sessions", "Organic website sessions per day", "sessions", "leading",
            "increase", 5200, 8000, DAILY, "i_brand", "chloe", "jump",
            "Web analytics, daily API pull", decimals=0, noise=0.08, weekly=0.45),
    KPISpec("summit-registrations", "FieldOps Summit registrations", "registrations", "leading",
            "increase", 0, 800, WEEKLY, "i_summit", "chloe", "stale",
            "Event platform export (manual, weekly)", decimals=0, noise=0.03,
            baseline_months=6, horizon_months=9, cumulative=True),
    # --- o_nrr / retention -------------------------------------------------------------------
    KPISpec("nrr", "Net revenue retention (trailing 12 months)", "%", "lagging", "increase",
            104, 112, MONTHLY, "o_nrr", "ceo", "at_risk",
            "Subscription analytics, month-end close", noise=0.05, weight="2"),
    KPISpec("support-first-response", "Median first response time, support", "minutes",
            "leading", "decrease", 95, 30, DAILY, "i_support_ai", "cs_lead", "on_track",
            "Help desk API, daily", decimals=0, noise=0.08, bounds=(1.0, None)),
    KPISpec("support-backlog", "Open support tickets", "tickets", "leading", "range", 420, 250,
            DAILY, "o_nrr", "cs_lead", "off_track", "Help desk API, daily snapshot at 18:00",
            decimals=0, range=(150, 350), noise=0.05),
    KPISpec("churn-rate-smb", "SMB logo churn", "%/month", "lagging", "decrease", 2.4, 1.2,
            MONTHLY, "o_churn", "cs_lead", "on_track",
            "Subscription analytics, month-end close", decimals=2, noise=0.06, bounds=PCT,
            revision=RevisionSpec(None, 1.0, "April's price increase will lift churn in the "
                                  "smallest tier; the board agreed to relax the target from 1.0% "
                                  "to 1.2%.", 5, "office")),
    KPISpec("gross-revenue-retention", "Gross revenue retention", "%", "lagging", "increase",
            88, 92, MONTHLY, "o_churn", "cs_lead", "on_track",
            "Subscription analytics, month-end close", bounds=PCT, noise=0.04),
    KPISpec("health-green-share", "Accounts with a green health score", "%", "leading",
            "increase", 62, 75, DAILY, "o_churn", "cs_lead", "early_warning",
            "Health model in the warehouse, nightly", bounds=PCT, noise=0.03,
            description="Usage, support and billing signals per account. Falls weeks before "
            "churn shows in the monthly numbers."),
    KPISpec("nps", "Net Promoter Score", "points", "lagging", "increase", 31, 40, MONTHLY,
            "o_churn", "cs_lead", "on_track", "Relationship survey, monthly wave of 600 users",
            decimals=0, bounds=(-100.0, 100.0), noise=0.12),
    KPISpec("modules-per-customer", "Customers using three or more modules", "%", "leading",
            "increase", 38, 50, DAILY, "i_qbr", "member", "at_risk",
            "Product analytics, nightly", bounds=PCT, noise=0.04),
    KPISpec("time-to-live", "Median days from contract to go-live (rolling 90 days)", "days",
            "lagging", "decrease", 48, 30, DAILY, "o_onboard", "lucy", "off_track",
            "Onboarding project tracker, nightly warehouse model", decimals=0, noise=0.06),
    KPISpec("wizard-completion", "Onboarding wizard completion rate", "%", "leading", "increase",
            35, 70, DAILY, "i_onboarding", "lucy", "off_track",
            "Product analytics funnel, nightly", bounds=PCT, noise=0.06, baseline_months=5),
    KPISpec("certified-admins", "Certified customer admins", "admins", "leading", "increase",
            40, 400, WEEKLY, "i_academy", "member", "frozen",
            "Learning platform export (paused with the programme)", decimals=0, noise=0.02, cumulative=True),
    # --- o_platform / platform ---------------------------------------------------------------
    KPISpec("availability", "Platform availability (rolling 30 days)", "%", "lagging",
            "increase", 99.80, 99.95, DAILY, "o_platform", "cto", "at_risk",
            "Synthetic monitoring, customer-facing SLO", decimals=3, bounds=PCT, noise=0.12,
            weight="2"),
    KPISpec("api-latency-p95", "API latency, 95th percentile", "ms", "leading", "decrease",
            420, 250, DAILY, "o_platform", "plat_lead", "on_track",
            "APM service metrics, daily rollup", decimals=0, noise=0.05, weekly=-0.08),
    KPISpec("deploys-per-week", "Production deployments (7-day total)", "deploys", "leading",
            "increase", 12, 30, DAILY, "o_modernise", "plat_lead", "ahead",
            "CI/CD pipeline events, nightly", decimals=0, noise=0.08),
    KPISpec("k8s-workloads-migrated", "Scheduling services on Kubernetes", "%", "leading",
            "increase", 0, 100, DAILY, "i_k8s", "ravi", "at_risk",
            "Service catalogue, nightly", decimals=0, bounds=PCT, noise=0.01,
            trajectory=(0.1, 0.35, 0.75), cumulative=True),
    KPISpec("change-failure-rate", "Change failure rate (rolling 30 days)", "%", "lagging",
            "decrease", 18, 10, DAILY, "o_modernise", "plat_lead", "on_track",
            "CI/CD and incident tracker, nightly", bounds=PCT, noise=0.06),
    KPISpec("sev1-incidents", "Sev-1 incidents", "incidents/month", "lagging", "decrease", 4, 1,
            MONTHLY, "o_uptime", "plat_lead", "off_track", "Incident tracker, month-end",
            decimals=0, noise=0.2),
    KPISpec("error-budget-burn", "Error budget burn rate", "x", "leading", "range", 1.4, 0.7,
            DAILY, "i_slo", "mei", "on_track", "SLO platform, daily", decimals=2,
            range=(0.2, 1.0), noise=0.06),
    KPISpec("mttr", "Mean time to restore", "minutes", "lagging", "decrease", 95, 45, WEEKLY,
            "o_uptime", "plat_lead", "stale", "Incident tracker, weekly export", decimals=0,
            noise=0.08),
    KPISpec("app-rating", "App store rating (both stores)", "stars", "lagging", "increase",
            3.9, 4.5, DAILY, "o_mobile", "mobile_lead", "on_track",
            "App store APIs, daily", decimals=2, bounds=(1.0, 5.0), noise=0.03),
    KPISpec("crash-free-sessions", "Crash-free sessions", "%", "leading", "increase", 99.1, 99.7,
            DAILY, "o_mobile", "lukas", "off_track", "Crash reporting SDK, daily",
            decimals=2, bounds=PCT, noise=0.08),
    KPISpec("cold-start-p90", "Android cold start, 90th percentile", "s", "leading", "decrease",
            3.4, 2.0, DAILY, "i_mobile_perf", "lukas", "ahead", "Performance monitoring, daily",
            decimals=2, noise=0.04, bounds=(0.3, None), baseline_months=4, horizon_months=6),
    KPISpec("weekly-active-technicians", "Weekly active technicians", "users", "leading",
            "increase", 41000, 55000, DAILY, "o_mobile", "mobile_lead", "on_track",
            "Product analytics, 7-day active users, nightly", decimals=0, noise=0.04,
            weekly=0.05),
    KPISpec("offline-sync-success", "Offline sync success rate (v3 beta)", "%", "leading",
            "increase", 92, 99.5, DAILY, "i_mobile_v3", "lukas", "at_risk",
            "Mobile telemetry, daily", decimals=2, bounds=PCT, noise=0.08, baseline_months=5),
    # --- o_efficiency / lean -----------------------------------------------------------------
    KPISpec("operating-margin", "Operating margin", "%", "lagging", "increase", -8, 0, MONTHLY,
            "o_efficiency", "cfo", "at_risk", "Management accounts, month-end close",
            bounds=(-100.0, 100.0), noise=0.06, trajectory=(0.15, 0.4, 0.7)),
    KPISpec("cash-runway", "Cash runway", "months", "lagging", "range", 26, 30, WEEKLY,
            "i_forecast", "cfo", "on_track", "13-week cash forecast, weekly",
            decimals=1, range=(24, 36), noise=0.06, baseline_months=3, horizon_months=4),
    KPISpec("cloud-cost-share", "Cloud cost as a share of revenue", "%", "lagging", "decrease",
            13.5, 11.0, MONTHLY, "o_cloud", "fin_lead", "on_track",
            "Cloud billing export and subscription analytics, month-end", bounds=PCT,
            noise=0.05),
    KPISpec("cloud-spend-daily", "Daily cloud spend", "€", "leading", "decrease", 4200, 3400,
            DAILY, "i_finops", "oliver", "on_track", "Cloud billing export, daily",
            decimals=0, noise=0.05, weekly=0.12),
    KPISpec("engineering-hires", "Engineering offers accepted this year", "hires", "lagging",
            "increase", 0, 40, WEEKLY, "i_hiring", "people_lead", "at_risk",
            "Applicant tracking system, weekly export", decimals=0, noise=0.02, cumulative=True),
    KPISpec("time-to-hire", "Median time to hire, engineering", "days", "leading", "decrease",
            52, 38, WEEKLY, "o_people", "isabel", "on_track",
            "Applicant tracking system, weekly export", decimals=0, noise=0.06),
    KPISpec("enps", "Employee NPS", "points", "lagging", "increase", 12, 30, MONTHLY, "o_people",
            "people_lead", "on_track", "Engagement pulse survey, monthly", decimals=0,
            bounds=(-100.0, 100.0), noise=0.1),
    KPISpec("regretted-attrition", "Regretted attrition (annualised)", "%", "lagging",
            "decrease", 9, 6, MONTHLY, "o_people", "people_lead", "off_track",
            "HR system, month-end", bounds=PCT, noise=0.05),
    KPISpec("customers-on-new-billing", "Customers billed on the new platform", "%", "lagging",
            "increase", 0, 100, MONTHLY, "o_billing", "fin_lead", "achieved",
            "Billing platform, month-end", decimals=0, bounds=PCT, noise=0.01,
            baseline_months=17, horizon_months=11, cumulative=True, active=False),
)  # fmt: skip
