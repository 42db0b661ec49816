"""The scale convention: a person log carries the fraction of the population it simulated in its
scale column, and every whole-population figure read from it (total spend, the CBA what-if) divides
its sums by that, while figures per head do not depend on it."""

from __future__ import annotations

import pandas as pd
import pytest

from calibration import cba
from calibration.measure import achieved_one, scale_of
from calibration.targets import COLUMN_OF_TARGET
from models.vocabulary import STRATA


def person_log(scale: float) -> pd.DataFrame:
    """Two residents a stratum, the second with twice the first's costs, in one leaf."""
    rows = []
    for k, stratum in enumerate(STRATA):
        for times in (1, 2):
            cost = {col: 100.0 * (k + 1) * times for col in COLUMN_OF_TARGET.values()}
            rows.append(
                {
                    "stratum_concurrent": stratum,
                    **cost,
                    "cost_total": sum(cost.values()),
                    "nel_admissions": times,
                    "bed_days": 4.0 * times,
                    "excess_bed_days": 1.0,
                    "leaf": 0,
                }
            )
    persons = pd.DataFrame(rows)
    persons["scale"] = scale
    return persons


def test_whole_population_figures_divide_by_the_log_s_own_scale():
    full, half = achieved_one(person_log(1.0)), achieved_one(person_log(0.5))
    assert full["total_spend"] == pytest.approx(sum(person_log(1.0).cost_total) / 1e6)
    assert half["total_spend"] == pytest.approx(2 * full["total_spend"]), "each row stands for 1 / scale residents"
    per_head = set(full) - {"total_spend"}
    assert {k: half[k] for k in per_head} == {k: full[k] for k in per_head}, "figures per head do not move"
    whole = cba.what_if([person_log(1.0)]).set_index(["scenario", "stratum"])
    halved = cba.what_if([person_log(0.5)]).set_index(["scenario", "stratum"])
    pd.testing.assert_frame_equal(halved, 2 * whole)
    assert whole.loc[("lower", "total"), "gross"] > 0


def test_a_person_log_without_one_scale_is_refused():
    assert scale_of(person_log(0.25)) == 0.25
    with pytest.raises(ValueError, match="no scale column"):
        achieved_one(person_log(1.0).drop(columns="scale"))
    mixed = pd.concat([person_log(1.0), person_log(0.5)], ignore_index=True)
    with pytest.raises(ValueError, match=r"one scale \(got \[0.5, 1.0\]\)"):
        cba.what_if([mixed])
