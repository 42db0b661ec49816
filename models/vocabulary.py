"""The names the whole project shares, each defined once: strata, roles and how each is simulated,
the targets of each intervention mechanism, the kinds of routine contact, and the calendar.

The schema validates model files against these, the engine indexes its arrays by them and the
reports label their tables with them, so a name added here reaches all three.
"""

from __future__ import annotations

# ----- calendar -------------------------------------------------------------------------------------
DAYS_PER_YEAR = 365.0
HOURS_PER_DAY = 24.0
HOURS_PER_YEAR = HOURS_PER_DAY * DAYS_PER_YEAR
WEEKS_PER_YEAR = 52.0  # the weeks a caseload or a weekly hours figure is counted over
DAYS_PER_WEEK = 7.0
HOURS_PER_WEEK = HOURS_PER_DAY * DAYS_PER_WEEK
MINUTES_PER_DAY = 60 * HOURS_PER_DAY

# ----- the population ------------------------------------------------------------------------------
BOROUGHS = ("hammersmith_fulham", "kensington_chelsea", "westminster")
# risk strata, highest risk first (the engine's stratum codes are indexes into this tuple)
STRATA = ("very_high", "high", "moderate", "low", "very_low")
# the strata the WSIC business case targets, whose shares of spend it reports
TOP_STRATA = STRATA[:3]
CONDITIONS = ("ltc", "multimorbidity", "dementia", "cancer", "learning_disability", "smi")
# the age from which a resident counts as older: HES's age gradient and Roland's cohort are 65+, the
# crises' 65+ scale applies from it and crisis.under_65_leaf_shift below it
OLDER_AGE = 65.0

# ----- the workforce -------------------------------------------------------------------------------
# How each role is simulated:
# - bulk: routine contacts accrued in bulk, their hours a fluid queue against the supply;
# - event: visit by visit, a pool of servers that a crisis or an assessment waits for;
# - enrolment: a caseload, which caps how many an intervention can enrol.
ROLE_KIND = {
    "gp": "bulk",
    "practice_nurse": "bulk",
    "district_nurse": "bulk",
    "rapid_response_nurse": "event",
    "hybrid_worker": "enrolment",
    "care_coordinator": "enrolment",
    "social_worker": "event",
}
ROLES = tuple(ROLE_KIND)
BULK_ROLES = tuple(r for r, k in ROLE_KIND.items() if k == "bulk")
EVENT_ROLES = tuple(r for r, k in ROLE_KIND.items() if k == "event")
TASKS = (
    "gp_contact",
    "practice_nurse_contact",
    "district_nurse_visit",
    "rapid_response",
    "basic_nursing",
    "home_care",
    "care_coordination",
    "care_planning",
    "case_conference",
    "assessment",
    "specialist_opinion",
    "self_care_support",
    "mental_health_liaison",
    "end_of_life_care",
    "falls_prevention",
    "reablement",
    "care_home_support",
    "peer_review",
)

# ----- routine contacts ----------------------------------------------------------------------------
# contact kind (a table of [routine_contacts]) -> the per-resident measure it is counted in
CONTACT_MEASURES = {
    "gp": "gp_contacts",
    "practice_nurse": "practice_nurse_contacts",
    "district_nurse": "district_nurse_contacts",
    "outpatient": "outpatient",
    "elective": "elective",
    "ae_minor": "ae_minor",
    "other_social_care": "other_sc_units",
    "other_community": "other_community_contacts",
}
CONTACTS = tuple(CONTACT_MEASURES)
# the contact kinds delivered by a bulk role of the same name
ROLE_CONTACTS = tuple(c for c in CONTACTS if c in BULK_ROLES)
# planned hospital care, scaled by each resident's planned-care propensity
PLANNED_CONTACTS = ("outpatient", "elective")

# ----- intervention mechanisms ---------------------------------------------------------------------
HAZARD_TARGETS = ("crisis", "fall", "care_home_entry", "death")
DIVERT_TARGETS = ("rapid_response", "virtual_ward", "intermediate_care")  # in the order a crisis tries them
SHORTEN_TARGETS = ("length_of_stay", "discharge_delay")
END_OF_LIFE_TARGETS = ("home",)
MECHANISMS = {
    "hazard": HAZARD_TARGETS,
    "divert": DIVERT_TARGETS,
    "shorten": SHORTEN_TARGETS,
    "end_of_life": END_OF_LIFE_TARGETS,
}

# ----- costs ---------------------------------------------------------------------------------------
# the tri-borough table's cost columns; cost_total is their sum
COST_COLUMNS = ("cost_nel", "cost_other_hospital", "cost_ooh", "cost_sc")
# the same spend by what avoiding it releases: prices no longer paid, or staff time and places freed
COST_KINDS = ("cost_cash_releasing", "cost_capacity_releasing")

# ----- sizing a workforce (wsic size) ---------------------------------------------------------------
# the roles a planner can size: those whose supply limits what the system does (a bulk role's
# contacts are accrued whatever its backlog, so sizing one would show no service level moving)
SIZED_ROLES = tuple(r for r, k in ROLE_KIND.items() if k != "bulk")
# service levels a staffing is judged by, each a ratio of a borough's totals over the reported years
SERVICE_LEVELS = {
    "rr_within_2h_rate": "share of rapid responses arriving within the target time",
    "assessment_wait_days": "mean wait for a social-work assessment (days)",
    "delayed_share": "delayed days as a share of bed days",
    "package_wait_days": "mean wait for a home-care package (days)",
    "placement_wait_days": "mean wait for a care home placement (days)",
    "wait_to_enrol_days": "mean wait to enrol in an intervention (days)",
    "caseload_per_fte": "people enrolled in an intervention per FTE of the role",
}
SHARE_LEVELS = ("rr_within_2h_rate", "delayed_share")  # shares, in [0, 1]
INTERVENTION_LEVELS = ("wait_to_enrol_days", "caseload_per_fte")  # need the intervention named
