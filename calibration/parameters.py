"""The free parameters the fit moves, as a vector: for each cost column, a scale on the rates and
a shift of the elasticities of the activity that drives it, plus the spread of need."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from models.vocabulary import OLDER_AGE

# column -> the rate-and-elasticity parameters (dotted paths in the model data) that drive it
DRIVERS = {
    "nel": ("crisis.hazard",),
    # elective admissions apart: they carry most of the column's cost and, through the risk score,
    # decide who is in the moderate and high strata
    "other_hospital": ("routine_contacts.outpatient", "routine_contacts.ae_minor"),
    "elective": ("routine_contacts.elective",),
    # GP, practice and district nursing rates stay at their priors: scaling them to the column
    # would ask more of those workforces than they have; the rest of the column is other community
    "ooh": ("routine_contacts.other_community",),
    "sc": ("routine_contacts.other_social_care",),
}
# the risk score's weights the fit sets, with their units
WEIGHT_UNITS = {
    "outpatient": "log odds per attendance",
    "elective": "log odds per elective admission",
    "ae_attendances": "log odds per attendance",
    "home_care": "log odds if a package was active",
    "care_home": "log odds if living in a care home",
    "nel_admissions": "log odds per admission in the last 12 months",
    "ltc_count": "log odds per LTC",
}
WEIGHTS = tuple(f"risk.weights.{w}" for w in WEIGHT_UNITS)
GP_WEIGHT = "risk.weights.gp_contacts"  # per contact, and contacts run to tens a year: a finer step
# per district nurse visit, tens a year too; it decides how many of the frailest, whose community
# nursing drives the out-of-hospital column, rank high rather than very high
DN_WEIGHT = "risk.weights.district_nurse"
# how steeply district nursing rises with need; its rate stays at its prior (see DRIVERS). Nursing
# visits concentrate in the very high stratum far more than in the high one, so this sets how the
# out-of-hospital column divides between the two
DN_ELASTICITY = "routine_contacts.district_nurse.elasticity"
# how steeply GP contacts rise with need (their rate at the reference need stays at its prior, see
# DRIVERS): GP care is most of the out-of-hospital column, so this sets how it divides between the
# strata. Most residents' need is under the reference, so it moves GP volume too (0.85 of the
# reference rate on average at 0.5, 2.5 at 1.0), delivered only as far as GP hours allow: so it is
# bounded at 1 and freed by name only (not in DEFAULT_FREE)
GP_ELASTICITY = "routine_contacts.gp.elasticity"
# a scale on how much district nursing and other community health care residents of care homes
# draw, against people at home of the same need: they sit almost all in the very high stratum,
# so this sets that stratum's out-of-hospital cost apart from the high one's
CARE_HOME_OOH = "ooh:care_home_log_scale"
CARE_HOME_OOH_CONTACTS = ("routine_contacts.district_nurse", "routine_contacts.other_community")
CARE_HOME_UNIT = "multiplier of the rate at home, for care home residents"
# scales the referral rate for home care and the share of the market in use at the start together,
# so that the starting stock of packages and its inflow move as one
HOME_CARE = "home_care:log_scale"
# the starting stock of home care apart from its inflow: sets the stock at the level its referrals
# and endings keep, so business as usual neither fills nor drains the market over the years
HOME_CARE_START = "home_care:start_log_scale"
# a scale on the crisis hazard of people 65 and over against the rest, beyond what their need
# carries: sets emergency admissions' age gradient (HES) apart from how crises follow need
CRISIS_AGE = "crisis:age_65_plus"
CRISIS_AGE_FROM = OLDER_AGE
# on top of it, a scale on the crisis hazard of the oldest band (85+): sets HES's 85+ ratio apart
# from the 65+'s, which one scale for all the old could not both meet once death rates rose
# through each band (the 85+'s frailty is then lower than under a step at 85)
CRISIS_OLDEST = "crisis:age_85_plus"
CRISIS_OLDEST_FROM = 85.0
# a scale on the frequent attenders' crisis multiplier (crisis.frequent_attenders): sets how many
# of the very high stratum's admissions fall to the few adults under 65 whose crises need does not
# explain, apart from the old, whose persistence Roland et al. measured
FREQUENT = "crisis:frequent_log_scale"
FREQUENT_PATH = "crisis.frequent_attenders.multiplier"
FREQUENT_UNIT = "multiplier of the crisis hazard of a resident of the same need"
# a scale on the onset of a need for 24-hour care: sets the care homes' inflow to what their
# deaths free, so that business as usual's care homes neither fill nor drain
CARE_HOME_ENTRY = "care_homes:entry_log_scale"
CARE_HOME_ENTRY_UNIT = "onsets of a need for 24-hour care per person-year at reference need, aged 65+, in any setting"
# the risk score's spread from what the simulation does not hold: blurs the strata's edges, so the
# bottom strata keep some of the use the real score leaves there
UNOBSERVED = "risk.unobserved_sigma"
UNOBSERVED_NODE = {
    "unit": "sd of log odds, persistent per resident",
    "source": "assumption (to calibrate): what the real score sees and the simulation does not hold",
}
# the spread of planned hospital care (outpatient, elective) apart from need: lets the heavy users
# of planned care sit in the high stratum without being the frailest
PLANNED = "need.planned_care_sigma"
PLANNED_NODE = {
    "unit": "sd of log of a mean-one propensity, persistent per resident",
    "source": "assumption (to calibrate): planned care follows specific conditions more than frailty",
}
# other community contacts after each elective admission: out-of-hospital care that comes with
# planned care rather than with need, so it sets the moderate stratum's out-of-hospital cost (its
# residents ranked there by an elective admission more than by crises) apart from the high one's
OOH_PER_ELECTIVE = "routine_contacts.other_community.per_elective"
OOH_PER_ELECTIVE_NODE = {
    "unit": "other community contacts per elective admission",
    "source": "assumption (to calibrate): rehabilitation, wound care and follow-up after a procedure",
}
# how much more steeply the crises of residents under 65 rise across the cost-tree leaves: the young's
# admissions rise among those with conditions against leaf 0's (no condition), the 65+'s crises (so
# Roland's rows) stay as they are, and HES's ratios move with the under-65s' rate
YOUNG_LEAF_SHIFT = "crisis.under_65_leaf_shift"
YOUNG_LEAF_SHIFT_NODE = {
    "unit": "added to the crisis hazard's leaf elasticity, residents under 65",
    "source": "assumption (to calibrate): a long-term condition marks out the young who are admitted more than the old",
}
# optional values, off (zero) unless the model sets them
OPTIONAL = {
    UNOBSERVED: UNOBSERVED_NODE,
    PLANNED: PLANNED_NODE,
    OOH_PER_ELECTIVE: OOH_PER_ELECTIVE_NODE,
    YOUNG_LEAF_SHIFT: YOUNG_LEAF_SHIFT_NODE,
}
# set directly
SIGMAS = (
    "need.frailty_sigma",
    "need.shock_sigma",
    *WEIGHTS,
    GP_WEIGHT,
    UNOBSERVED,
    PLANNED,
    DN_WEIGHT,
    DN_ELASTICITY,
    GP_ELASTICITY,
    OOH_PER_ELECTIVE,
    YOUNG_LEAF_SHIFT,
)

ELASTICITY_UNIT = "d log rate / d log need"
LEAF_ELASTICITY_UNIT = "d log rate / d log need of the cost-tree leaf"
# the unit of each rate the column scales move (DRIVERS), and of home care's referral (HOME_CARE)
RATE_UNITS = {
    "crisis.hazard": "crises per person-year at reference need",
    "routine_contacts.outpatient": "attendances per person-year at reference need",
    "routine_contacts.ae_minor": "minor A&E attendances per person-year at reference need",
    "routine_contacts.elective": "elective admissions per person-year at reference need",
    "routine_contacts.other_community": "contacts per person-year at reference need",
    "routine_contacts.other_social_care": "units (about an hour of care) per person-year at reference need",
    "home_care.referral": "referrals per person-year at reference need, adults at home without a package",
}
# the unit of every model value the vector sets (fitted_values' keys): the fitted file writes each
# value with its unit from here, so a value's unit is declared once, beside the parameter that sets it
UNITS = {
    "need.frailty_sigma": "sd of log",
    "need.shock_sigma": "sd of log",
    **{f"risk.weights.{w}": unit for w, unit in WEIGHT_UNITS.items()},
    GP_WEIGHT: "log odds per contact",
    UNOBSERVED: UNOBSERVED_NODE["unit"],
    PLANNED: PLANNED_NODE["unit"],
    DN_WEIGHT: "log odds per visit",
    DN_ELASTICITY: ELASTICITY_UNIT,
    GP_ELASTICITY: ELASTICITY_UNIT,
    OOH_PER_ELECTIVE: OOH_PER_ELECTIVE_NODE["unit"],
    YOUNG_LEAF_SHIFT: YOUNG_LEAF_SHIFT_NODE["unit"],
    "initial_state.home_care_utilisation": "fraction of weekly home-care hours in packages at the start",
    "crisis.age_multiplier": "multiplier by age band",
    FREQUENT_PATH: FREQUENT_UNIT,
    "care_homes.entry.rate": CARE_HOME_ENTRY_UNIT,
    **{f"{path}.care_home_multiplier": CARE_HOME_UNIT for path in CARE_HOME_OOH_CONTACTS},
    **{f"{path}.rate": unit for path, unit in RATE_UNITS.items()},
    **{f"{path}.elasticity": ELASTICITY_UNIT for path in RATE_UNITS},
    **{f"{path}.leaf_elasticity": LEAF_ELASTICITY_UNIT for paths in DRIVERS.values() for path in paths},
}


@dataclass(frozen=True)
class Parameter:
    name: str
    lower: float
    upper: float
    step: float  # finite-difference step


PARAMETERS = (
    *(
        p
        for col in DRIVERS
        for p in (
            Parameter(f"{col}:log_scale", -3.0, 3.0, 0.08),
            # crises are events to simulate, and the schema caps the rate at the highest need: from
            # the twenty-second refit (the 85+'s multiplier 3.67, the leaves' need raised by their
            # fixed point), with frequent attenders at 60 times (tests/calibration/test_parameter_bounds.py),
            # past +0.521 the crisis elasticity breaks that cap (past +0.595 from the eighteenth)
            Parameter(f"{col}:elasticity_shift", -1.5, 0.51 if col == "nel" else 1.5, 0.08),
        )
    ),
    Parameter("need.frailty_sigma", 0.05, 2.5, 0.05),
    Parameter("need.shock_sigma", 0.05, 2.0, 0.05),
    *(Parameter(w, 0.0, 8.0, 0.3 if w.endswith("elective") else 0.1) for w in WEIGHTS),
    # the crises' past +0.738 breaks the same cap (the same point and frequent attenders; past
    # +0.895 from the eighteenth)
    *(Parameter(f"{col}:leaf_shift", -1.5, 0.73 if col == "nel" else 1.5, 0.08) for col in DRIVERS),
    Parameter(GP_WEIGHT, 0.0, 0.5, 0.01),
    Parameter(HOME_CARE, -2.0, 1.0, 0.08),
    Parameter(UNOBSERVED, 0.0, 3.0, 0.1),
    Parameter(PLANNED, 0.0, 2.5, 0.1),
    Parameter(DN_WEIGHT, 0.0, 0.5, 0.01),
    Parameter(DN_ELASTICITY, 0.3, 2.5, 0.08),
    Parameter(CARE_HOME_OOH, -1.5, 1.5, 0.1),
    Parameter(HOME_CARE_START, -2.0, 2.0, 0.08),
    Parameter(CRISIS_AGE, -2.5, 1.5, 0.08),
    Parameter(CRISIS_OLDEST, -1.0, 1.0, 0.08),
    Parameter(CARE_HOME_ENTRY, -2.0, 2.0, 0.08),
    Parameter(FREQUENT, -2.0, 0.5, 0.1),  # the start of 60 times stays within the schema's 100
    Parameter(GP_ELASTICITY, 0.0, 1.0, 0.05),
    Parameter(OOH_PER_ELECTIVE, 0.0, 100.0, 0.5),  # the schema's bound
    Parameter(YOUNG_LEAF_SHIFT, 0.0, 1.0, 0.05),  # beyond about 1.3 the schema refuses the tail (models/bounds.py)
)
NAMES = tuple(p.name for p in PARAMETERS)
assert NAMES.index(HOME_CARE) < NAMES.index(HOME_CARE_START), "apply scales the start after home care's scale"
assert NAMES.index(CRISIS_AGE) < NAMES.index(CRISIS_OLDEST), "apply scales the 85+ after the 65+"
# Fitted unless a spec says otherwise. The leaves' need multipliers (calibration/leaves.py) set how
# cost rises across the cost tree; planned care's leaf shifts are fitted, since how far it rises
# across the leaves decides whether its heavy users rank high or very high on the risk score, and
# out-of-hospital and social care's, which carry the leaves' cost without adding crises (a fixed
# point on the leaves' need raises the old's crises and onsets of a need for 24-hour care, and
# jams the beds over five years: docs/calibration_history.md, "A seventh"). The crises' leaf shift is held.
FREE_LEAF_SHIFTS = ("other_hospital:leaf_shift", "elective:leaf_shift", "ooh:leaf_shift", "sc:leaf_shift")
# How steeply crises rise across the leaves and with age, and the frequent attenders' multiplier,
# decide how many of the year's admissions fall to the few with many (Roland et al.) and the age
# gradient (HES); they join the default fit once those targets are fitted rather than checked
# (calibration/data/longitudinal.csv), as without a target of their own they would only trade
# against the strata table's columns.
HELD_UNTIL_FITTED = ("nel:leaf_shift",)
DEFAULT_FREE = tuple(
    k
    for k, name in enumerate(NAMES)
    if (not name.endswith(":leaf_shift") or name in FREE_LEAF_SHIFTS)
    and name not in HELD_UNTIL_FITTED
    and name not in (GP_ELASTICITY, OOH_PER_ELECTIVE, YOUNG_LEAF_SHIFT)  # freed by name
)


def _node(data: dict, path: str) -> dict:
    if path in OPTIONAL:  # off unless set: zero
        *sections, key = path.split(".")
        parent = data
        for section in sections:
            parent = parent[section]
        parent.setdefault(key, {"value": 0.0, **OPTIONAL[path]})
    for k in path.split("."):
        data = data[k]
    return data


def has(data: dict, path: str) -> bool:
    """Whether the model data holds a value at this dotted path (a section a model may leave out)."""
    for k in path.split("."):
        if not isinstance(data, dict) or k not in data:
            return False
        data = data[k]
    return True


def prior_elasticity(data: dict, path: str) -> float:
    return float(_node(data, path)["elasticity"]["value"])


def start(data: dict) -> np.ndarray:
    """The prior as a vector: no scale, no shift, the prior spreads of need."""
    x = np.zeros(len(PARAMETERS))
    data = copy.deepcopy(data)
    for k, name in enumerate(NAMES):
        if name in SIGMAS:
            x[k] = _node(data, name)["value"]
    return x


def _left_out(data: dict, name: str, value: float) -> bool:
    """An optional value the model leaves out and the fit leaves at zero: off, so neither the
    fitted file nor the model the fit checks holds it."""
    return name in OPTIONAL and value == 0 and not has(data, name)


def apply(data: dict, x: np.ndarray) -> dict:
    """A copy of the model data with the vector applied to its priors."""
    out = copy.deepcopy(data)
    for k, name in enumerate(NAMES):
        if name in SIGMAS:
            if _left_out(data, name, x[k]):
                continue  # as the fitted file leaves it out: the model checked is the one written
            _node(out, name)["value"] = float(x[k])
            continue
        if name == HOME_CARE:
            rate = _node(out, "home_care.referral.rate")
            rate["value"] = float(_node(data, "home_care.referral.rate")["value"] * np.exp(x[k]))
            used = _node(out, "initial_state.home_care_utilisation")
            used["value"] = float(min(1.0, _node(data, "initial_state.home_care_utilisation")["value"] * np.exp(x[k])))
            continue
        if name == HOME_CARE_START:  # on top of home care's scale, which comes before it
            used = _node(out, "initial_state.home_care_utilisation")
            used["value"] = float(min(1.0, used["value"] * np.exp(x[k])))
            continue
        if name == CRISIS_AGE:
            mult = _node(out, "crisis.age_multiplier")
            lower = np.asarray(_node(data, "population.age_band_lower")["value"], float)
            prior = np.asarray(_node(data, "crisis.age_multiplier")["value"], float)
            mult["value"] = [float(v) for v in np.where(lower >= CRISIS_AGE_FROM, prior * np.exp(x[k]), prior)]
            continue
        if name == CRISIS_OLDEST:  # on top of the 65+'s scale, which comes before it
            mult = _node(out, "crisis.age_multiplier")
            lower = np.asarray(_node(data, "population.age_band_lower")["value"], float)
            now = np.asarray(mult["value"], float)
            mult["value"] = [float(v) for v in np.where(lower >= CRISIS_OLDEST_FROM, now * np.exp(x[k]), now)]
            continue
        if name == FREQUENT:
            if has(data, FREQUENT_PATH):
                mult = _node(out, FREQUENT_PATH)
                mult["value"] = float(_node(data, FREQUENT_PATH)["value"] * np.exp(x[k]))
            continue
        if name == CARE_HOME_ENTRY:
            rate = _node(out, "care_homes.entry.rate")
            rate["value"] = float(_node(data, "care_homes.entry.rate")["value"] * np.exp(x[k]))
            continue
        if name == CARE_HOME_OOH:
            for path in CARE_HOME_OOH_CONTACTS:
                prior = _node(data, path)["care_home_multiplier"]
                _node(out, path)["care_home_multiplier"] = {**prior, "value": float(prior["value"] * np.exp(x[k]))}
            continue
        column, what = name.split(":")
        for path in DRIVERS[column]:
            node = _node(out, path)
            if what == "log_scale":
                node["rate"]["value"] = float(node["rate"]["value"] * np.exp(x[k]))
            elif what == "elasticity_shift":
                node["elasticity"]["value"] = float(max(0.0, prior_elasticity(data, path) + x[k]))
            else:  # unshifted, the leaf elasticity equals the prior elasticity: the same rates
                prior = _node(data, path).get("leaf_elasticity") or {"value": prior_elasticity(data, path)}
                node["leaf_elasticity"] = {
                    "value": float(max(0.0, prior["value"] + x[k])),
                    "unit": LEAF_ELASTICITY_UNIT,
                    "source": "assumption (to calibrate)",
                }
    return out


def fitted_values(data: dict, x: np.ndarray) -> dict[str, float]:
    """Every model value the vector sets, by dotted path, for the fitted file."""
    applied = apply(data, x)
    out = {
        name: _node(applied, name)["value"]
        for k, name in enumerate(NAMES)
        if name in SIGMAS and not _left_out(data, name, x[k])
    }
    out["crisis.age_multiplier"] = list(_node(applied, "crisis.age_multiplier")["value"])
    out["care_homes.entry.rate"] = _node(applied, "care_homes.entry.rate")["value"]
    if has(applied, FREQUENT_PATH):
        out[FREQUENT_PATH] = _node(applied, FREQUENT_PATH)["value"]
    for path in ("home_care.referral.rate", "home_care.referral.elasticity", "initial_state.home_care_utilisation"):
        out[path] = _node(applied, path)["value"]
    for path in CARE_HOME_OOH_CONTACTS:
        out[f"{path}.care_home_multiplier"] = _node(applied, path)["care_home_multiplier"]["value"]
    for paths in DRIVERS.values():
        for path in paths:
            node = _node(applied, path)
            out[f"{path}.rate"] = node["rate"]["value"]
            out[f"{path}.elasticity"] = node["elasticity"]["value"]
            out[f"{path}.leaf_elasticity"] = node["leaf_elasticity"]["value"]
    return out


def setters(path: str) -> tuple[str, ...]:
    """The parameters of the vector that set a model value (by dotted path): none for a value the
    fitted file holds but the vector leaves as it found it."""
    if path in SIGMAS:
        return (path,)
    if path == "home_care.referral.rate":
        return (HOME_CARE,)
    if path == "initial_state.home_care_utilisation":
        return (HOME_CARE, HOME_CARE_START)
    if path == "crisis.age_multiplier":
        return (CRISIS_AGE, CRISIS_OLDEST)
    if path == "care_homes.entry.rate":
        return (CARE_HOME_ENTRY,)
    if path == FREQUENT_PATH:
        return (FREQUENT,)
    if path in {f"{c}.care_home_multiplier" for c in CARE_HOME_OOH_CONTACTS}:
        return (CARE_HOME_OOH,)
    node, _, key = path.rpartition(".")
    shift = {"rate": "log_scale", "elasticity": "elasticity_shift", "leaf_elasticity": "leaf_shift"}.get(key)
    return tuple(f"{col}:{shift}" for col, paths in DRIVERS.items() if node in paths and shift)
