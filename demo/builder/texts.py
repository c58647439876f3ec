"""Check-in language: what owners actually write in a weekly status update."""

from __future__ import annotations

SUMMARY = {
    "green": (
        "“{done}” is done and signed off. “{next}” is on schedule for {next_due}.",
        "Good fortnight: “{next}” is well under way and the team is slightly ahead on testing.",
        "On track. “{next}” is scoped and staffed; no risks worth escalating.",
        "Steady progress on “{next}”; stakeholders reviewed the latest demo and are happy.",
        "We closed the open questions on “{next}” with {team}; delivery plan unchanged.",
    ),
    "amber": (
        "“{next}” is slipping by about {slip} days; we are re-sequencing work to protect "
        "the {due} date.",
        "Progress slower than planned this period. {blocker} Recovery plan agreed with {team}.",
        "We will make “{next}” only if the open staffing question is settled this week.",
        "Scope of “{next}” grew after customer feedback; trimming nice-to-haves to hold the date.",
    ),
    "red": (
        "“{next}” will miss its date. {blocker} We need a decision on scope by {decision}.",
        "Off track: {blocker} Without help the {due} date moves by at least a month.",
        "Two weeks lost on “{next}”. Escalated to the steering group; options paper on Friday.",
    ),
}

BLOCKERS = (
    "Waiting for Legal to approve the data-processing addendum.",
    "Two senior engineers were pulled onto the incident backlog.",
    "The vendor's API rate limits block the full migration run.",
    "Procurement has not released the purchase order for the contractor team.",
    "Customer feedback from the pilot reopened the design of the core flow.",
    "Key stakeholder on leave; sign-off delayed.",
    "Test environment unstable for most of the period.",
    "Budget for the second phase is not confirmed yet.",
)

NEXT_STEPS = (
    "Demo “{next}” to the steering group on {soon}.",
    "Finish the test plan and start acceptance testing.",
    "Run the pilot with three customers and collect feedback.",
    "Lock scope for “{next}” and publish the updated plan.",
    "Close the open risks in the RAID log with {team}.",
    "Start recruiting for the open role; interim cover from the contractor pool.",
    "Review spend against budget with Finance.",
)

DEPENDENCY_BLOCKER = "Waiting on “{dep}”, which is itself running late."

DONE_SUMMARY = (
    "Delivered: “{last}” completed and the work handed over to run. Closing the initiative."
)
HOLD_SUMMARY = (
    "Paused by the steering group to free people for higher-priority work. Restart to be "
    "reviewed next quarter."
)
CANCELLED_SUMMARY = (
    "Stopped: the steering group cancelled the initiative; what was built is documented for reuse."
)
SPEND_NOTES = {
    "Contractors": "Monthly invoice, contractor team",
    "Software licences": "Licences and subscriptions",
    "Salaries": "Allocated salary cost",
    "Travel": "Travel and expenses",
    "Cloud": "Cloud infrastructure",
}
