"""Risk stratification as the real tool does it: score recent use and attributes, cut by percentile.

Targeting uses this score, not the hidden need, so people picked for a high score after an
unusual year regress towards the mean exactly as they do in life.
"""

from __future__ import annotations

import numpy as np

from models.schema import CareModel
from sim.population import CARE_HOME, Population

# assumption: the most of a year's use of any one kind the score counts, unless the model bands it
# lower (risk.counted_up_to): far above any year's use but a frequent attender's
USE_COUNTED_UP_TO = 50.0
# each of the score's counts of use (models.schema.RISK_COUNTS), and the ledger's measure it reads
USE_MEASURES = {
    "nel_admissions": "nel_admissions",
    "ae_attendances": "ae_attendances",
    "bed_days": "bed_days",
    "outpatient": "outpatient",
    "elective": "elective",
    "gp_contacts": "gp_contacts",
    "district_nurse": "district_nurse_contacts",
}
# the use over the last 12 months the score reads at the next year start: the counts, and the
# home care hours that say whether a package was active
PRIOR_USE = (*USE_MEASURES.values(), "sc_hours")


def risk_score(pop: Population, prior: dict[str, np.ndarray], model: CareModel) -> np.ndarray:
    """Predicted probability of emergency admission in the next 12 months (logistic score).

    ``prior`` holds each resident's use over the last 12 months, keyed as the ledger names it.
    """
    w = {k: v.value for k, v in model.risk.weights.items()}
    lp = np.full(pop.size, model.risk.intercept.value)
    caps = {k: v.value for k, v in (model.risk.counted_up_to or {}).items()}
    for feature, measure in USE_MEASURES.items():
        if feature in w and measure in prior:
            lp += w[feature] * np.minimum(prior[measure], caps.get(feature, USE_COUNTED_UP_TO))
    if "home_care" in w and "sc_hours" in prior:
        lp += w["home_care"] * (prior["sc_hours"] > 0)
    if "care_home" in w:
        lp += w["care_home"] * (pop.setting == CARE_HOME)
    age = pop.age
    lp += w.get("age_65_74", 0.0) * ((age >= 65) & (age < 75))
    lp += w.get("age_75_84", 0.0) * ((age >= 75) & (age < 85))
    lp += w.get("age_85_plus", 0.0) * (age >= 85)
    lp += w.get("ltc_count", 0.0) * pop.ltc
    lp += w.get("dementia", 0.0) * pop.dementia
    lp += w.get("cancer", 0.0) * pop.cancer
    lp += w.get("learning_disability", 0.0) * pop.learning_disability
    lp += w.get("smi", 0.0) * pop.smi
    if model.risk.unobserved_sigma is not None:
        lp += model.risk.unobserved_sigma.value * pop.unobserved
    return 1.0 / (1.0 + np.exp(-lp))


def stratify(score: np.ndarray, alive: np.ndarray, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cut the living by score percentile into strata (0 = very_high ... 4 = very_low).

    Ties (many residents share a score) are broken at random so that stratum sizes follow the
    shares exactly. The dead get -1.
    """
    strata = np.full(score.shape, -1, dtype=np.int8)
    idx = np.flatnonzero(alive)
    if idx.size == 0:
        return strata
    tie = rng.random(score.size)[idx]  # drawn for every row, so scenarios share tie-breaks
    key = -score[idx]
    n = idx.size
    bounds = np.rint(np.cumsum(shares) / np.sum(shares) * n).astype(int)
    bounds[-1] = n
    if np.isnan(key).any():  # (no cut by value: the order itself)
        order = np.lexsort((tie, key))
        strata[idx[order]] = np.searchsorted(bounds, np.arange(n), side="right").astype(np.int8)
        return strata
    # Each resident's stratum is the number of cuts at or before their place in the order by score,
    # then tie-break, then row (np.lexsort's); only the residents at each cut need that order, so
    # the cuts are found by selection rather than by sorting everyone.
    inner = sorted({int(b) for b in bounds if 0 < b < n})
    at_cut = np.partition(key, inner)[inner] if inner else []
    labels = np.full(n, int(np.count_nonzero(bounds <= 0)), dtype=np.int8)
    for b, k in zip(inner, at_cut, strict=True):
        labels += _from_place(key, tie, b, k) * np.int8(np.count_nonzero(bounds == b))
    strata[idx] = labels
    return strata


def _from_place(key: np.ndarray, tie: np.ndarray, b: int, k: float) -> np.ndarray:
    """Whether each resident stands at place b or later in the order by (key, tie, row), where k
    is the key at place b."""
    equal = np.flatnonzero(key == k)
    m = b - int(np.count_nonzero(key < k))  # place b within those sharing its key
    t = tie[equal]
    t_cut = np.partition(t, m)[m]
    same = equal[t == t_cut]  # almost always one; in row order, as lexsort leaves equal keys
    row_cut = same[m - int(np.count_nonzero(t < t_cut))]
    later = key > k
    later[equal] = (t > t_cut) | ((t == t_cut) & (equal >= row_cut))
    return later


def top_risk(score: np.ndarray, alive: np.ndarray, share: float) -> np.ndarray:
    """A risk-score cut as a case-finding tool makes it: the living whose score is at least the
    score of the top ``share`` of them, everyone tied at the cut included. Scores are compared as
    the person log holds them (float32), so a pilot's cohort can be chosen again from the log."""
    s = np.asarray(score, dtype=np.float32)
    living = s[alive]
    if living.size == 0:
        return np.zeros(s.shape, dtype=bool)
    k = max(1, round(share * living.size))
    cut = np.partition(living, living.size - k)[living.size - k]
    return alive & (s >= cut)
