"""The free parameters the fit moves, as a vector: for each cost column, a scale on the rates and
a shift of the elasticities of the activity that drives it, plus the spread of need."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

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
WEIGHTS = tuple(
    f"risk.weights.{w}"
    for w in ("outpatient", "elective", "ae_attendances", "home_care", "care_home", "nel_admissions", "ltc_count")
)
GP_WEIGHT = "risk.weights.gp_contacts"  # per contact, and contacts run to tens a year: a finer step
# scales the referral rate for home care and the share of the market in use at the start together,
# so that the starting stock of packages and its inflow move as one
HOME_CARE = "home_care:log_scale"
# the risk score's spread from what the simulation does not hold: blurs the strata's edges, so the
# bottom strata keep some of the use the real score leaves there
UNOBSERVED = "risk.unobserved_sigma"
UNOBSERVED_NODE = {
    "unit": "sd of log odds, persistent per resident",
    "source": "assumption (to calibrate): what the real score sees and the simulation does not hold",
}
SIGMAS = ("need.frailty_sigma", "need.shock_sigma", *WEIGHTS, GP_WEIGHT, UNOBSERVED)  # set directly


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
        for p in (Parameter(f"{col}:log_scale", -3.0, 3.0, 0.08), Parameter(f"{col}:elasticity_shift", -1.5, 1.5, 0.08))
    ),
    Parameter("need.frailty_sigma", 0.05, 2.5, 0.05),
    Parameter("need.shock_sigma", 0.05, 2.0, 0.05),
    *(Parameter(w, 0.0, 8.0, 0.3 if w.endswith("elective") else 0.1) for w in WEIGHTS),
    *(Parameter(f"{col}:leaf_shift", -1.5, 1.5, 0.08) for col in DRIVERS),
    Parameter(GP_WEIGHT, 0.0, 0.5, 0.01),
    Parameter(HOME_CARE, -2.0, 1.0, 0.08),
    Parameter(UNOBSERVED, 0.0, 3.0, 0.1),
)
NAMES = tuple(p.name for p in PARAMETERS)
# Fitted unless a spec says otherwise. The leaf shifts are held at their values: the leaves' need
# multipliers (calibration/leaves.py) set how cost rises across the cost tree.
DEFAULT_FREE = tuple(k for k, name in enumerate(NAMES) if not name.endswith(":leaf_shift"))


def _node(data: dict, path: str) -> dict:
    if path == UNOBSERVED and "unobserved_sigma" not in data["risk"]:  # off unless set: zero
        data["risk"]["unobserved_sigma"] = {"value": 0.0, **UNOBSERVED_NODE}
    for k in path.split("."):
        data = data[k]
    return data


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


def apply(data: dict, x: np.ndarray) -> dict:
    """A copy of the model data with the vector applied to its priors."""
    out = copy.deepcopy(data)
    for k, name in enumerate(NAMES):
        if name in SIGMAS:
            _node(out, name)["value"] = float(x[k])
            continue
        if name == HOME_CARE:
            rate = _node(out, "home_care.referral.rate")
            rate["value"] = float(_node(data, "home_care.referral.rate")["value"] * np.exp(x[k]))
            used = _node(out, "initial_state.home_care_utilisation")
            used["value"] = float(min(1.0, _node(data, "initial_state.home_care_utilisation")["value"] * np.exp(x[k])))
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
                    "unit": "d log rate / d log need of the cost-tree leaf",
                    "source": "assumption (to calibrate)",
                }
    return out


def fitted_values(data: dict, x: np.ndarray) -> dict[str, float]:
    """Every model value the vector sets, by dotted path, for the fitted file."""
    applied = apply(data, x)
    out = {name: _node(applied, name)["value"] for name in SIGMAS}
    for path in ("home_care.referral.rate", "home_care.referral.elasticity", "initial_state.home_care_utilisation"):
        out[path] = _node(applied, path)["value"]
    for paths in DRIVERS.values():
        for path in paths:
            node = _node(applied, path)
            out[f"{path}.rate"] = node["rate"]["value"]
            out[f"{path}.elasticity"] = node["elasticity"]["value"]
            out[f"{path}.leaf_elasticity"] = node["leaf_elasticity"]["value"]
    return out
