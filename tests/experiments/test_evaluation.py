"""`wsic evaluate`: with nothing done, a cohort chosen on prior admissions falls a long way by
itself and a random one does not; a pilot that multiplies the crisis hazard by 0.8 has a true
effect near -20% that matched difference in differences recovers; the estimates are the same for
any --jobs; a pilot file is refused with one line per problem."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from experiments.evaluation import run_evaluation, select
from experiments.evaluation_report import summarise, write_evaluation_outputs
from experiments.runner import ExperimentError
from models.loader import ModelFileError
from models.pilot import load_pilot, pilot_arm
from sim.replication import RESULTS_VERSION, run_replication
from tests.browser import assert_drawn

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "models" / "baseline.toml"
WSIC = ROOT / "models" / "wsic.toml"

NOTHING = '{ value = 0, unit = "GBP", payer = "NHS", source = "test" }'


def crisis_effect(value: float) -> str:
    return f'{{ distribution = "fixed", value = {value}, unit = "multiplier on crisis hazard", source = "test" }}'


def library_intervention(name: str, description: str, multiplier: float) -> str:
    """A library intervention with a fixed multiplier on the crisis hazard and no cost or staff."""
    return f"""
[interventions.{name}]
description = "{description}"
component = "test"
eligibility = {{ strata = ["very_high"] }}
uptake = {{ value = 1.0, unit = "share", source = "test" }}
start_year = 1
ramp_years = 0
mechanisms = [ {{ kind = "hazard", target = "crisis", effect = {crisis_effect(multiplier)} }} ]
costs = {{ set_up = {NOTHING}, per_year = {NOTHING}, per_person = {NOTHING} }}
evidence = "test"
evidence_strength = "assumption"
"""


x = False  # a builder, not a test
EFFECT = crisis_effect(0.8)
LIBRARY = (
    f'extends = "{BASELINE}"\n'
    + library_intervention("fewer_crises", "a test intervention with a known effect", 0.8)
    + library_intervention("no_change", "a test intervention that changes nothing", 1.0)
)


def pilot_text(cohort: str, received: str = "", library: str = "") -> str:
    return f"""
[meta]
name = "t"
description = "a test pilot"
source = "test"

[run]
model = "{BASELINE}"
{library}
scale = 0.05
seed = 4

[cohort]
start_year = 2
follow_years = 2
{cohort}

[received]
interventions = [{received}]
"""


def evaluate(tmp_path: Path, text: str, name: str, reps: int = 3, jobs: int = 2) -> pd.DataFrame:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    loaded = load_pilot(path)
    per_rep = run_evaluation(loaded, reps, tmp_path / name, jobs=jobs)
    write_evaluation_outputs(tmp_path / name, per_rep, loaded)
    return per_rep


@pytest.mark.slow
def test_a_pilot_of_no_effect_falls_by_itself_when_chosen_on_prior_use(tmp_path):
    """Both arms run (the pilot enrols, on common random numbers) and its effect is none."""
    (tmp_path / "library.toml").write_text(LIBRARY)
    text = pilot_text(
        "min_age = 65\nmin_prior_admissions = 2", '"no_change"', f'library = "{tmp_path / "library.toml"}"'
    )
    chosen = summarise(evaluate(tmp_path, text, "prior")).set_index("estimate")
    # the whole age group, not a random fifth: a fifth (about 560 people at this scale) left the
    # regression term's interval about 0.8 wide over three replications (+0.16 and +0.04 on two
    # fits, each containing zero); all of them, about 0.09 wide (+0.002 on the eighteenth refit)
    at_random = summarise(evaluate(tmp_path, pilot_text("min_age = 65\nrandom_share = 1.0"), "random")).set_index(
        "estimate"
    )
    assert chosen.loc["cohort_size", "mean"] > 0
    assert chosen.loc["true_effect", "low"] <= 0 <= chosen.loc["true_effect", "high"]
    assert chosen.loc["naive", "mean"] < -0.3, "frequent admitters fall back by themselves"
    assert chosen.loc["regression_to_the_mean", "mean"] < -0.2
    # a random cohort does not fall back: its change is its ageing, its being chosen alive, deaths
    # and the trend (a 65+ cohort's admissions rise about a tenth in a year as it ages), not
    # regression to the mean
    assert at_random.loc["naive", "mean"] > -0.05, "a random cohort does not fall back"
    assert abs(at_random.loc["regression_to_the_mean", "mean"]) < 0.05, "nor regresses: ageing and trend are apart"
    assert_drawn(tmp_path / "prior" / "evaluation.html", least_plots=3)


@pytest.mark.slow
def test_the_rule_chooses_whom_the_simulation_enrols(tmp_path):
    """With uptake 1 and no staff limit, the cohort the log's rule chooses is exactly who enrols."""
    (tmp_path / "library.toml").write_text(LIBRARY)
    rule = "min_age = 50\ntop_risk_share = 0.2\nnetworks = [0, 1, 2]\nconditions = ['ltc']\nmin_prior_admissions = 1"
    path = tmp_path / "agree.toml"
    path.write_text(pilot_text(rule, '"fewer_crises"', f'library = "{tmp_path / "library.toml"}"'))
    loaded = load_pilot(path)
    log = run_replication(pilot_arm(loaded), 0, 4, loaded.years, 0.05, person_log=True).persons
    chosen, _ = select(loaded, log, 0)
    enrolled = log[(log.year == 2) & log.enrolled].person.to_numpy()
    assert len(chosen) > 50
    assert set(chosen.tolist()) == set(enrolled.tolist())


@pytest.mark.slow
def test_a_known_effect_is_the_truth_and_matched_did_recovers_it(tmp_path):
    (tmp_path / "library.toml").write_text(LIBRARY)
    text = pilot_text(
        "min_age = 65\nmin_prior_admissions = 1\nuptake = 0.5",
        '"fewer_crises"',
        f'library = "{tmp_path / "library.toml"}"',
    )
    per_rep = evaluate(tmp_path, text, "known", reps=3)
    s = summarise(per_rep).set_index("estimate")
    assert s.loc["true_effect", "mean"] == pytest.approx(-0.2, abs=0.06)
    did = s.loc["difference_in_differences"]
    assert did.low <= s.loc["true_effect", "mean"] <= did.high, did
    again = evaluate(tmp_path, text, "known_one_job", reps=2, jobs=1)  # the first two, on one worker
    pd.testing.assert_frame_equal(per_rep.iloc[:2], again)


def test_pilot_refusals(tmp_path):
    cases = [
        (pilot_text("min_age = 70\nmax_age = 60"), "cohort: min_age (70) exceeds max_age (60)"),
        (
            pilot_text("start_year = 1").replace("start_year = 2\n", "", 1),
            "cohort.start_year: Input should be greater than or equal to 2",
        ),
        (pilot_text("", '"fewer_crises"'), "run.library names no model file"),
        (pilot_text('boroughs = ["camden"]'), "cohort.boroughs: 'camden' is not a borough"),
        (
            pilot_text("", '"nothing_like_it"', f'library = "{BASELINE}"'),
            "received.interventions.0: 'nothing_like_it' is not an intervention",
        ),
        (pilot_text("colour = 1"), "cohort.colour: unknown key"),
        (pilot_text("networks = [10]"), "cohort.networks.0: network 10 does not exist (the model has 10"),
        (pilot_text('strata = ["top"]'), "cohort.strata.0: Input should be"),
        (pilot_text("top_risk_share = 0"), "cohort.top_risk_share: Input should be greater than 0"),
        (pilot_text('conditions = ["gout"]'), "cohort.conditions.0: Input should be"),
        (
            pilot_text("", '"care_coordination"', f'library = "{WSIC}"')
            + '[[received.effects]]\nintervention = "rapid_response"\nkind = "hazard"\ntarget = "crisis"\n'
            + f"effect = {EFFECT}\n",
            "received.effects.0.intervention: 'rapid_response' is not received",
        ),
        (
            pilot_text("", '"care_coordination"', f'library = "{WSIC}"')
            + '[[received.effects]]\nintervention = "care_coordination"\nkind = "hazard"\ntarget = "nowhere"\n'
            + f"effect = {EFFECT}\n",
            "received.effects.0: target 'nowhere' is not a target of a hazard mechanism",
        ),
        (
            pilot_text("", '"care_coordination"', f'library = "{WSIC}"')
            + "[received.fte]\ncare_coordinator = { value = [6, 0], unit = 'FTE', source = 'test' }\n",
            "received.fte.care_coordinator.value: 2 values for 3 boroughs",
        ),
        (
            pilot_text("", '"care_coordination"', f'library = "{WSIC}"')
            + "[received.fte]\nhybrid_worker = { value = [6, 0, 0], unit = 'FTE', source = 'test' }\n",
            "received.fte.hybrid_worker: no received intervention needs this role",
        ),
        (
            pilot_text("")
            + '[observed]\ndesign = "naive"\nsource = "t"\nchange = -0.2\n'
            + "cohort = { measure = 'rate', before = 1, after = 0.5 }\n",
            "observed: give either change or the cohort's figures",
        ),
        (
            pilot_text("")
            + '[observed]\ndesign = "difference_in_differences"\nsource = "t"\n'
            + "cohort = { measure = 'rate', before = 1, after = 0.5 }\n",
            "observed: a difference_in_differences result needs the controls' figures",
        ),
        (
            pilot_text("")
            + '[observed]\ndesign = "naive"\nsource = "t"\ncohort = { measure = "count", before = 10, after = 5 }\n',
            "observed.cohort: counts need the group's size",
        ),
        (
            pilot_text("") + '[expected]\nadmissions_avoided = 10\ncohort_size = 100\nyears = 1\nsource = "t"\n',
            "expected: a pilot that receives nothing can expect nothing avoided",
        ),
        (pilot_text("uptake = 0.5"), "cohort.uptake: a pilot that receives nothing has no uptake"),
        (
            pilot_text('boroughs = ["westminster"]\nnetworks = [0]'),
            "cohort.networks.0: network 0 is in hammersmith_fulham, not in cohort.boroughs",
        ),
        (
            pilot_text("", '"care_coordination"', f'library = "{WSIC}"').replace(
                f'model = "{BASELINE}"', f'model = "{WSIC}"'
            ),
            "run.model: " + str(WSIC) + " has interventions",
        ),
        (
            pilot_text("", '"care_coordination"', f'library = "{WSIC}"')
            + "[expected]\nadmissions_avoided = 10\ncohort_size = 100\nyears = 3\nsource = 't'\n",
            "expected: years (3) exceeds cohort.follow_years (2)",
        ),
        (
            pilot_text("", '"care_coordination"', f'library = "{WSIC}"')
            + "[received.fte]\ngp = { value = [6, 0, 0], unit = 'FTE', source = 'test' }\n",
            "received.fte.gp: a bulk role is the whole borough's staff",
        ),
        (
            pilot_text("", '"care_coordination"', f'library = "{WSIC}"')
            + (
                '[[received.effects]]\nintervention = "care_coordination"\nkind = "hazard"\ntarget = "crisis"\n'
                + f"effect = {EFFECT}\n"
            )
            * 2,
            "received.effects.1: a second effect for care_coordination's hazard on crisis",
        ),
        (
            pilot_text("")
            + '[observed]\ndesign = "naive"\nsource = "t"\n'
            + "cohort = { measure = 'rate', before = 1, after = 0.5 }\n"
            + "controls = { measure = 'rate', before = 1, after = 0.5 }\n",
            "observed: a naive before/after has no controls",
        ),
        (
            pilot_text("")
            + '[observed]\ndesign = "matched"\nsource = "t"\n'
            + "cohort = { measure = 'rate', before = 1, after = 0.5 }\n"
            + "controls = { measure = 'rate', before = 1, after = 0 }\n",
            "observed: the controls' after must be above 0",
        ),
    ]
    for text, expected in cases:
        path = tmp_path / "p.toml"
        path.write_text(text)
        with pytest.raises(ModelFileError) as err:
            load_pilot(path)
        assert any(expected in line for line in err.value.problems), (expected, err.value.problems)
        assert all(line.startswith(str(path)) for line in err.value.problems)


@pytest.mark.slow
def test_a_rerun_resumes_and_the_pilot_s_own_results_are_set_against_the_model(tmp_path):
    (tmp_path / "library.toml").write_text(LIBRARY)
    text = pilot_text(
        "min_age = 65\nmin_prior_admissions = 1\nuptake = 0.5\nfollow_years = 1",
        '"fewer_crises"',
        f'library = "{tmp_path / "library.toml"}"',
    ).replace("follow_years = 2\n", "", 1)
    text = text.replace("scale = 0.05", "scale = 0.02")
    text += """
[observed]
design = "difference_in_differences"
source = "test"
cohort = { measure = "count", before = 500, after = 300, size = 400 }
controls = { measure = "count", before = 480, after = 380, size = 400 }

[expected]
admissions_avoided = 1000
cohort_size = 5000
years = 1
source = "test"
"""
    path = tmp_path / "p.toml"
    path.write_text(text)
    loaded = load_pilot(path)
    out = tmp_path / "out"
    first = run_evaluation(loaded, 2, out, jobs=1)
    stamp = (out / "replications" / "rep_0000.json").stat().st_mtime_ns
    again = run_evaluation(loaded, 3, out, jobs=1)
    assert (out / "replications" / "rep_0000.json").stat().st_mtime_ns == stamp, "done replications are kept"
    pd.testing.assert_frame_equal(first, again.iloc[:2])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["results_version"] == RESULTS_VERSION
    (out / "manifest.json").write_text(json.dumps(manifest | {"results_version": RESULTS_VERSION - 1}))
    with pytest.raises(ExperimentError, match="another engine"):
        run_evaluation(loaded, 3, out, jobs=1)
    written = write_evaluation_outputs(out, again, loaded)
    assert written.observed["observed"] == pytest.approx((300 / 500) / (380 / 480) - 1)
    assert written.observed["observed_low"] < written.observed["observed"] < written.observed["observed_high"]
    (plan,) = written.expected
    assert plan["predicted"] == pytest.approx(again.admissions_avoided_per_person_year.mean() * 5000)
    assert "Against the pilot's plan" in written.page.read_text()
    path.write_text(text.replace("admissions_avoided = 1000", "admissions_avoided = 900"))
    with pytest.raises(ExperimentError, match="another pilot file"):
        run_evaluation(load_pilot(path), 3, out)


@pytest.mark.slow
def test_a_rule_that_chooses_no_one_stops_and_the_mended_file_runs_in_place(tmp_path):
    text = pilot_text("min_age = 115").replace("scale = 0.05", "scale = 0.02")
    path = tmp_path / "p.toml"
    path.write_text(text)
    out = tmp_path / "out"
    with pytest.raises(ExperimentError, match="the cohort has 0 member"):
        run_evaluation(load_pilot(path), 2, out)
    path.write_text(text.replace("min_age = 115", "min_age = 80"))
    rows = run_evaluation(load_pilot(path), 2, out)
    assert len(rows) == 2
