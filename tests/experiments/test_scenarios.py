"""Scenarios side by side (the comparator first, as `wsic run BASE.toml SCENARIO.toml` runs them),
and a workforce gap made visible."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from experiments.runner import RunSpec, run_experiment
from models.loader import load_model

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> pd.DataFrame:
    tmp = tmp_path_factory.mktemp("scenarios")
    no_cc = tmp / "wsic_no_coordinators.toml"
    no_cc.write_text(
        f'extends = "{MODELS / "wsic.toml"}"\n'
        '[meta]\nname = "wsic_no_coordinators"\ndescription = "WSIC without care coordinators"\n'
        'price_year = "2010/11"\n'
        "[workforce.care_coordinator]\n"
        'fte = { value = [0, 0, 0], unit = "FTE per borough", source = "test: no coordinators recruited" }\n'
    )
    models = [load_model(MODELS / "baseline.toml"), load_model(MODELS / "wsic.toml"), load_model(no_cc)]
    spec = RunSpec(reps=1, years=2, scale=0.03, seed=8)
    return run_experiment(models, spec, tmp / "out", show_progress=False).results


def test_every_scenario_is_reported(results):
    assert set(results.scenario) == {"baseline", "wsic", "wsic_no_coordinators"}


def test_each_scenario_runs_its_own_services(results):
    """WSIC's community services do more than business as usual's (its rapid response and virtual
    ward capacity), and the arm without care coordinators avoids fewer admissions. Admissions and bed
    days are not compared here: on 14,000 residents (--scale 0.03) they turn on how full the social
    care queues run (README, Scale); the cut in admissions is tested at 0.04 in
    tests/sim/test_interventions.py."""
    people = results[(results.intervention == "all") & (results.stratum != "all")]
    by = people.groupby(["scenario", "measure"]).value.sum()
    for measure in ("rr_episodes", "vw_admissions"):
        assert by[("wsic", measure)] > 1.5 * by[("baseline", measure)], measure
    credited = results[(results.intervention != "all") & (results.measure == "avoided_nel_admissions")]
    avoided = credited.groupby("scenario").value.sum()
    assert 0 < avoided["wsic_no_coordinators"] < avoided["wsic"], "without coordinators fewer are enrolled"


def test_savings_are_attributed_per_intervention(results):
    credited = results[(results.scenario == "wsic") & (results.intervention != "all")]
    avoided = credited[credited.measure == "avoided_nel_admissions"].groupby("intervention").value.sum()
    assert (avoided > 0).sum() >= 8
    assert avoided.sum() > 0


def test_removing_coordinators_leaves_care_coordination_in_backlog(results):
    cc = results[(results.intervention == "care_coordination")]
    by = cc.groupby(["scenario", "measure"]).value.sum()
    assert by[("wsic", "enrolled")] > 0
    assert by[("wsic_no_coordinators", "enrolled")] == 0
    assert by[("wsic_no_coordinators", "backlog")] > by[("wsic", "backlog")]
    assert by[("wsic_no_coordinators", "waiting_person_days")] > 0


def test_investment_is_reported_by_payer(results):
    w = results[results.scenario == "wsic"]
    measures = set(w.measure)
    assert {
        "cost_interventions_nhs",
        "cost_interventions_council",
        "cost_workforce_nhs",
        "cost_workforce_council",
    } <= measures
    assert w[w.measure == "cost_workforce_council"].value.sum() > 0
    base = results[results.scenario == "baseline"]
    assert not base.measure.str.startswith("cost_interventions").any()
