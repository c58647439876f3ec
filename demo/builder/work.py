"""The demo's initiatives: who does what, for which objective, and how it is going.

``profile`` drives the story each initiative tells through its check-ins, milestones and
spend (see ``build.py``):

* ``green``: on plan. ``amber``: slipping, one milestone overdue. ``red``: well behind, two
  milestones overdue, blockers. ``stale``: no check-in for weeks. ``burn``: spending ahead of
  progress. ``over``: spent more than its budget. ``done``: delivered. ``hold``: paused.
  ``proposed``: not started. ``cancelled``: stopped.

Dates are relative to "today": ``start`` is days from today (negative: in the past).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InitiativeSpec:
    """One demo initiative: its objective, team, owner and contributors (refs), the ``profile`` its
    story follows, start (days from today), length (days), budget (thousands of EUR), milestones,
    dependencies and an optional refund."""

    ref: str
    objective: str
    team: str
    owner: str
    contributors: tuple[str, ...]
    title: str
    description: str
    profile: str
    priority: int
    start: int
    length: int
    budget_k: int
    fte: str
    cadence: int
    milestones: tuple[str, ...]
    categories: tuple[str, ...] = ("Contractors", "Software licences")
    depends_on: tuple[tuple[str, str], ...] = ()  # (initiative ref, note)
    refund: tuple[int, str, str] | None = None  # (EUR, category, note) after the last spend


INITIATIVES: tuple[InitiativeSpec, ...] = (
    # --- Win the mid-market --------------------------------------------------------------------
    InitiativeSpec(
        "i_playbook", "o_motion", "gtm", "leader", ("sales_lead", "ethan"),
        "Mid-market sales playbook and enablement",
        "Codify how we win: discovery questions, mutual action plans, pricing guardrails, "
        "and certification for every account executive.",
        "green", 3, -200, 300, 120, "2.0", 14,
        ("Interview 20 recently won customers", "Playbook v1 published",
         "All AEs certified", "Win-rate review with the board"),
        ("Training", "Contractors"),
    ),
    InitiativeSpec(
        "i_sdr", "o_pipeline", "sales", "sales_lead", ("nadia", "ethan"),
        "Outbound SDR pod for mid-market",
        "Four sales development reps working named mid-market accounts in DACH and the Nordics.",
        "amber", 3, -180, 365, 480, "4.0", 7,
        ("Hire four SDRs", "Sequences live in the engagement tool",
         "First 100 meetings booked", "Pod at full productivity"),
        ("Salaries", "Software licences", "Data providers"),
    ),
    InitiativeSpec(
        "i_partner", "o_pipeline", "sales", "ethan", ("nadia",),
        "Reseller partner programme for DACH and the Nordics",
        "Recruit and enable regional resellers who already sell to field-service companies.",
        "red", 2, -150, 330, 220, "1.5", 14,
        ("Partner terms approved by Legal", "Three partners signed",
         "First partner-sourced deal closed"),
        ("Partner incentives", "Travel", "Legal"),
    ),
    InitiativeSpec(
        "i_pricing", "o_arr", "sales", "sales_lead", ("oliver", "ethan"),
        "Usage-based pricing for mid-market plans",
        "Price per active technician with volume tiers; packaging, billing rules and migration "
        "of existing contracts at renewal.",
        "burn", 4, -240, 330, 350, "3.0", 14,
        ("Pricing research with 40 buyers", "Board approves new price book",
         "Billing rules implemented", "First renewals on new pricing"),
        ("Consultants", "Research panels", "Contractors"),
        (("i_billing", "Needs per-technician metering from the new billing platform."),),
    ),
    InitiativeSpec(
        "i_pilots", "o_pilots", "sales", "sales_lead", ("ethan",),
        "Enterprise pilot conversion desk",
        "A weekly desk that unblocks each paid pilot: success criteria, sponsor, paper process.",
        "green", 3, -60, 100, 60, "1.0", 7,
        ("Success criteria signed for all six pilots", "Executive sponsor for each pilot",
         "Orders signed"),
        ("Travel", "Customer events"),
    ),
    InitiativeSpec(
        "i_brand", "o_brand", "marketing", "mkt_lead", ("chloe",),
        "Brand refresh and new website",
        "New positioning, visual identity and a website that converts mid-market buyers.",
        "over", 2, -270, 300, 260, "1.5", 14,
        ("Agency selected", "Brand platform signed off", "New website live",
         "Launch campaign"),
        ("Agency fees", "Production", "Software licences"),
        refund=(8500, "Agency fees", "Credit note from the agency for the delayed launch film"),
    ),
    InitiativeSpec(
        "i_summit", "o_brand", "marketing", "chloe", ("mkt_lead",),
        "FieldOps Summit user conference",
        "Our first two-day customer and prospect conference, 800 attendees targeted.",
        "stale", 2, -210, 250, 400, "2.0", 14,
        ("Venue contracted", "Call for speakers closed", "Registration opens",
         "Summit days"),
        ("Venue", "Production", "Travel"),
    ),
    InitiativeSpec(
        "i_content", "o_brand", "marketing", "chloe", (),
        "Industry benchmark report series",
        "Two data-driven reports a quarter on field-service productivity, gated for leads.",
        "green", 1, -120, 240, 70, "0.5", 30,
        ("Survey panel recruited", "First report published", "Second report published"),
        ("Research panels", "Design"),
    ),
    InitiativeSpec(
        "i_abm", "o_pipeline", "marketing", "mkt_lead", ("nadia",),
        "Account-based marketing for the top 200 targets",
        "Orchestrated ads, direct mail and SDR plays for the 200 best-fit accounts.",
        "proposed", 2, 21, 180, 150, "1.0", 14,
        ("Target list agreed with Sales", "Campaign live", "Pipeline review"),
        ("Advertising", "Direct mail"),
        (("i_playbook", "Plays must follow the new discovery playbook."),),
    ),
    # --- Customers for life -------------------------------------------------------------------
    InitiativeSpec(
        "i_health", "o_churn", "cs", "cs_lead", ("member", "lucy"),
        "Customer health scoring and save desk",
        "Score every account weekly from usage, support and billing signals; a save desk calls "
        "every account that turns red.",
        "amber", 4, -200, 300, 180, "2.5", 7,
        ("Health model v1", "Save desk staffed", "Playbooks for red accounts",
         "Health score in the CRM for every account manager"),
        ("Contractors", "Software licences"),
    ),
    InitiativeSpec(
        "i_qbr", "o_churn", "cs", "member", ("lucy",),
        "Business reviews for every SMB account over €20k",
        "A quarterly review with each customer's operations lead, with ROI numbers.",
        "green", 2, -160, 240, 40, "1.0", 14,
        ("Review template with ROI calculator", "First 50 reviews held",
         "All eligible accounts reviewed"),
        ("Travel", "Software licences"),
    ),
    InitiativeSpec(
        "i_onboarding", "o_onboard", "cs", "lucy", ("member", "fatima"),
        "Self-serve onboarding wizard",
        "Customers import technicians, skills and territories themselves in the first week.",
        "red", 3, -190, 260, 310, "3.0", 14,
        ("Import flows designed", "Wizard beta with ten customers", "General availability"),
        ("Contractors", "Design"),
        (("i_sso", "Uses SCIM to import technicians."),),
    ),
    InitiativeSpec(
        "i_academy", "o_onboard", "cs", "member", (),
        "Brightwell Academy certification for customer admins",
        "Online courses and a certification so customer admins configure Brightwell themselves.",
        "hold", 1, -220, 300, 90, "0.5", 30,
        ("Curriculum written", "Learning platform selected", "First cohort certified"),
        ("Software licences", "Content production"),
    ),
    InitiativeSpec(
        "i_support_ai", "o_nrr", "cs", "cs_lead", ("lucy",),
        "AI-assisted support triage",
        "Classify and route tickets automatically and draft first answers from the knowledge base.",
        "burn", 3, -150, 240, 200, "2.0", 14,
        ("Vendor selected", "Triage live for email tickets", "Drafted answers for top 50 intents"),
        ("Software licences", "Contractors", "Cloud"),
    ),
    InitiativeSpec(
        "i_expansion", "o_nrr", "sales", "nadia", ("member",),
        "Add-on module offers for the installed base",
        "Targeted offers for inventory and quoting modules to customers ready to expand.",
        "green", 2, -120, 200, 70, "1.0", 14,
        ("Propensity list built", "Offer campaign live", "Review of results"),
        ("Advertising", "Incentives"),
    ),
    # --- A platform that scales ---------------------------------------------------------------
    InitiativeSpec(
        "i_sso", "o_modernise", "platform", "ravi", ("sam",),
        "SSO and SCIM provisioning",
        "SAML/OIDC single sign-on and SCIM user provisioning, required by most mid-market buyers.",
        "done", 3, -300, 240, 150, "2.0", 14,
        ("SAML and OIDC sign-in", "SCIM provisioning", "Security review passed"),
        ("Contractors", "Security audit"),
    ),
    InitiativeSpec(
        "i_k8s", "o_modernise", "platform", "plat_lead", ("ravi", "sam", "mei"),
        "Move the scheduling engine to Kubernetes",
        "Containerise the 14 scheduling services and run them on managed Kubernetes.",
        "amber", 4, -250, 400, 650, "6.0", 14,
        ("Cluster baseline and CI/CD", "First five services migrated",
         "Scheduling optimiser migrated", "Legacy VMs switched off"),
        ("Cloud", "Contractors", "Training"),
    ),
    InitiativeSpec(
        "i_events_api", "o_modernise", "platform", "mei", ("sam",),
        "Event-driven sync API",
        "Publish job and technician changes as events so apps and integrations stay in sync.",
        "green", 3, -180, 270, 280, "3.0", 14,
        ("Event schema agreed", "Event bus in production", "Public webhooks beta"),
        ("Cloud", "Contractors"),
    ),
    InitiativeSpec(
        "i_slo", "o_uptime", "platform", "plat_lead", ("mei",),
        "SLOs, error budgets and a sustainable on-call rota",
        "Customer-facing SLOs with error budgets that decide when features wait for reliability.",
        "green", 3, -140, 180, 50, "1.5", 7,
        ("SLOs defined for five user journeys", "Error-budget policy agreed",
         "On-call rota with follow-the-sun handover"),
        ("Software licences", "Training"),
    ),
    InitiativeSpec(
        "i_dr", "o_uptime", "platform", "sam", ("ravi",),
        "Multi-region disaster recovery",
        "A warm standby region with a tested failover under 30 minutes.",
        "red", 4, -200, 280, 420, "3.0", 14,
        ("Standby region provisioned", "Data replication verified", "First failover drill"),
        ("Cloud", "Contractors"),
        (("i_k8s", "The standby region runs the containerised services only."),),
    ),
    InitiativeSpec(
        "i_db", "o_uptime", "platform", "ravi", (),
        "Database upgrade to PostgreSQL 17",
        "Upgrade the primary cluster with logical replication and a five-minute cut-over.",
        "stale", 2, -170, 200, 80, "1.0", 14,
        ("Staging upgraded", "Replication rehearsal", "Production cut-over"),
        ("Cloud", "Contractors"),
    ),
    InitiativeSpec(
        "i_mobile_v3", "o_mobile", "mobile", "mobile_lead", ("lukas", "fatima"),
        "Mobile app v3: offline-first",
        "Rebuild the technician app around a local database that syncs when signal returns.",
        "amber", 4, -240, 360, 720, "6.0", 7,
        ("Offline data layer", "Beta with 300 technicians", "Store release",
         "Old app retired"),
        ("Contractors", "Devices", "Software licences"),
        (("i_events_api", "Sync consumes the job and technician events."),),
    ),
    InitiativeSpec(
        "i_mobile_perf", "o_mobile", "mobile", "lukas", ("fatima",),
        "Cold start under two seconds on Android",
        "Lazy-load modules and trim the startup path on mid-range Android devices.",
        "green", 2, -100, 150, 60, "1.0", 14,
        ("Startup trace baseline", "Lazy module loading", "Release to all users"),
        ("Devices", "Contractors"),
    ),
    InitiativeSpec(
        "i_design_system", "o_mobile", "mobile", "fatima", ("lukas",),
        "Shared design system for web and mobile",
        "One component library for the web app and the technician app.",
        "cancelled", 1, -260, 200, 100, "1.0", 30,
        ("Component inventory", "Tokens and core components", "Adoption in the web app"),
        ("Design", "Contractors"),
    ),
    # --- Run lean, grow people ----------------------------------------------------------------
    InitiativeSpec(
        "i_finops", "o_cloud", "finance", "fin_lead", ("oliver", "ravi"),
        "FinOps: reserved capacity and rightsizing",
        "Commit to reserved capacity, rightsize over-provisioned clusters, tag costs by team.",
        "green", 3, -160, 240, 90, "1.0", 14,
        ("Cost tagging at 95%", "Reserved capacity purchased", "Rightsizing round two"),
        ("Consultants", "Software licences"),
    ),
    InitiativeSpec(
        "i_vendors", "o_efficiency", "finance", "oliver", (),
        "Vendor consolidation: from 140 SaaS tools to 90",
        "Cancel duplicates and renegotiate the top 20 contracts at renewal.",
        "amber", 2, -130, 210, 30, "0.5", 30,
        ("Tool inventory complete", "Top 20 renewals renegotiated", "Duplicates cancelled"),
        ("Consultants",),
    ),
    InitiativeSpec(
        "i_billing", "o_billing", "finance", "fin_lead", ("oliver", "sam"),
        "Billing platform migration",
        "Move invoicing, dunning and revenue recognition to the new billing platform.",
        "done", 4, -420, 330, 380, "3.0", 14,
        ("Data model mapped", "Parallel run for two month-ends", "Legacy billing retired"),
        ("Software licences", "Contractors", "Audit"),
    ),
    InitiativeSpec(
        "i_forecast", "o_efficiency", "finance", "cfo", ("fin_lead", "oliver"),
        "Rolling 13-week cash forecast",
        "A weekly cash forecast from the billing platform and the payables system.",
        "green", 3, -90, 120, 25, "0.5", 14,
        ("Data feeds connected", "First forecast reviewed by the CFO", "Weekly cadence running"),
        ("Software licences",),
    ),
    InitiativeSpec(
        "i_hiring", "o_people", "people", "people_lead", ("isabel",),
        "Engineering hiring engine",
        "Structured interviews, a sourcing team and a referral bonus to hire 40 engineers.",
        "amber", 3, -200, 330, 520, "2.0", 14,
        ("Interview loops redesigned", "Sourcing team in place", "Twenty offers accepted",
         "Forty offers accepted"),
        ("Recruiting agencies", "Job boards", "Referral bonuses"),
    ),
    InitiativeSpec(
        "i_career", "o_people", "people", "isabel", (),
        "Career framework and levelling",
        "Published levels for every engineering and go-to-market role, with calibrated reviews.",
        "green", 2, -150, 200, 45, "0.5", 30,
        ("Levels drafted with managers", "Calibration round", "Framework published"),
        ("Consultants",),
    ),
    InitiativeSpec(
        "i_coaching", "o_people", "people", "people_lead", ("isabel",),
        "Manager coaching programme",
        "Monthly coaching circles and an external coach for every first-line manager.",
        "green", 2, -110, 220, 65, "0.5", 30,
        ("Coaches contracted", "First cohort started", "Second cohort started"),
        ("Coaching", "Training"),
    ),
)  # fmt: skip
