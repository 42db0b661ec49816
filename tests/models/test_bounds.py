"""What cannot run is refused at load with the bound and its reason; what is legal but surely
unintended is warned about, and still runs.

Files are small models that extend a shipped one by absolute path and override a value with their
own source, as a user would write them.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import tomlkit

import wsic
from models.checks import warnings
from models.loader import MODELS_DIR, ModelFileError, load_model, resolved_data
from models.schema import CareModel

BASELINE = MODELS_DIR / "baseline.toml"
WSIC = MODELS_DIR / "wsic.toml"
SMALL = "0.0004"
DATA = {BASELINE: resolved_data(BASELINE), WSIC: resolved_data(WSIC)}


def _override(parent: Path, changes: dict[str, object]) -> dict:
    """The tables a child file writes to set each dotted key: a parameter with its own source, or a plain value."""
    child: dict = {}
    for key, value in changes.items():
        *tables, last = key.split(".")
        node, base = child, DATA[parent]
        for k in tables:
            node, base = node.setdefault(k, {}), base[k]
        old = base.get(last)
        if isinstance(old, dict) and "value" in old and not isinstance(value, dict):
            value = {**old, "value": value, "source": "test: a value a user might write"}
        node[last] = value
    return child


def extending(tmp_path: Path, changes: dict[str, object], parent: Path = BASELINE, name: str = "model.toml") -> Path:
    path = tmp_path / name
    path.write_text(tomlkit.dumps({"extends": str(parent), **_override(parent, changes)}), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    return info.value.problems


def model_with(changes: dict[str, object], parent: Path = BASELINE) -> CareModel:
    """The parent's model with values replaced (dotted keys), without writing a file."""
    data = copy.deepcopy(DATA[parent])
    for key, value in changes.items():
        *tables, last = key.split(".")
        node = data
        for k in tables:
            node = node[int(k)] if isinstance(node, list) else node[k]
        if isinstance(node.get(last), dict) and "value" in node[last]:
            node[last]["value"] = value
        else:
            node[last] = value
    return CareModel.model_validate(data, strict=True)


def cli(capsys, *argv: str) -> tuple[int, list[str]]:
    code = wsic.main(list(argv))
    return code, capsys.readouterr().err.splitlines()


# ----- the four inputs of the issue ----------------------------------------------------------------
REFUSED = [
    (
        "run.periods_per_year",
        0,
        "expected at least 1 (got 0): routine contacts and community events are drawn once a period",
    ),
    ("population.total", 0, "expected at least 1 (got 0): a run needs residents"),
    (
        "hospital.beds",
        0,
        "expected at least 1 (got 0): every admission needs a bed; with none, admissions would only queue",
    ),
]


@pytest.mark.parametrize(("key", "value", "expected"), REFUSED, ids=[k for k, _, _ in REFUSED])
def test_what_cannot_run_is_refused_by_validate_and_run_writing_nothing(tmp_path, capsys, key, value, expected):
    path = extending(tmp_path, {key: value})
    line = f"{path}: {key}: {expected}"
    assert cli(capsys, "validate", str(path)) == (2, [line])
    out = tmp_path / "out"
    code, lines = cli(capsys, "run", str(path), "--reps", "1", "--years", "1", "--scale", SMALL, "--out", str(out))
    assert (code, lines) == (2, [line])
    assert not out.exists()


def test_an_intervention_starting_after_the_horizon_is_warned_about_and_validates(tmp_path, capsys):
    path = extending(tmp_path, {"interventions.virtual_wards.start_year": 99}, parent=WSIC)
    line = (
        f"warning: {path}: interventions.virtual_wards.start_year: 99 is after the last of the 5 reported year(s); "
        "the intervention never starts"
    )
    assert cli(capsys, "validate", str(path)) == (0, [line])
    assert cli(capsys, "validate", str(path), "--years", "3") == (0, [line.replace("the 5 reported", "the 3 reported")])


def test_validate_years_sets_the_horizon_of_the_warnings(tmp_path, capsys):
    path = extending(tmp_path, {"interventions.virtual_wards.start_year": 3}, parent=WSIC)
    assert cli(capsys, "validate", str(path)) == (0, [])
    code, lines = cli(capsys, "validate", str(path), "--years", "2")
    assert code == 0 and len(lines) == 1 and "start_year: 3 is after the last of the 2" in lines[0]
    assert cli(capsys, "validate", str(path), "--years", "0") == (
        2,
        ["wsic validate: --years must be at least 1 (got 0)"],
    )


@pytest.mark.slow
def test_run_prints_the_warnings_then_runs(tmp_path, capsys):
    path = extending(tmp_path, {"interventions.virtual_wards.start_year": 99}, parent=WSIC)
    out = tmp_path / "out"
    args = ("run", str(path), "--reps", "1", "--years", "1", "--scale", SMALL, "--out", str(out), "--no-report")
    code, lines = cli(capsys, *args)
    assert code == 0
    assert lines[0] == (
        f"warning: {path}: interventions.virtual_wards.start_year: 99 is after the last of the 1 reported year(s); "
        "the intervention never starts"
    )
    assert (out / "results.parquet").exists()


# ----- bounds ----------------------------------------------------------------------------------------
BOUNDS = [
    ("population.total", 20_000_000, "expected at most 10,000,000 (got 20,000,000): each resident is a row"),
    ("run.periods_per_year", 1000, "expected at most 365 (got 1,000): a period shorter than a day"),
    ("run.warmup_years", 50, "expected at most 10 (got 50): every warm-up year is simulated in full"),
    ("population.newcomer_reserve", 5.0, "expected at most 1 (got 5): rows a resident a year"),
    ("population.oldest_band_width", 500, "expected at most 50 (got 500): years"),
    ("need.frailty_sigma", 4.0, "expected at most 3 (got 4): the lognormal spread of need"),
    ("need.reference", 0.001, "expected at least 1 (got 0.001): GBP a year"),
    ("crisis.hazard.rate", 100.0, "expected at most 52 (got 100): events per person-year at the reference need"),
    ("crisis.hazard.elasticity", 10.0, "expected at most 4 (got 10): rates go as need to this power"),
    ("routine_contacts.gp.rate", 1000.0, "expected at most 365 (got 1,000): contacts per person-year"),
    ("rapid_response.min_age", 18_000.0, "expected at most 150 (got 18,000): years of age; no resident is that old"),
    ("hospital.los_sigma", 5.0, "expected at most 3 (got 5): the lognormal spread of stays"),
    ("reablement.duration_days", 1000.0, "expected at most 365 (got 1,000): days; a stay of more than a year"),
    ("home_care.package_hours_max", 0.5, "expected at least 1 (got 0.5): a package is whole hours a week"),
    ("home_care.package_hours_max", 200.0, "expected at most 168 (got 200): hours a week"),
    ("home_care.end_rate", 1000.0, "expected at most 365 (got 1,000): events per person-year"),
    ("mortality.terminal_days", 1000.0, "expected at most 365 (got 1,000): days; a stay of more than a year"),
    ("workforce.gp.productive_hours", 10_000.0, "expected at most 8,760 (got 10,000): hours a year an FTE works"),
    ("hospital.mean_los_days", [2.5, 0.0, 5.5, 7.5, 10.0, 12.0], "expected every value more than 0 (item 1 is 0)"),
    ("need.segment_mean_cost", [0.0] + [1000.0] * 17, "expected every value more than 0 (item 0 is 0): need is"),
]


@pytest.mark.parametrize(("key", "value", "expected"), BOUNDS, ids=[f"{k}={v}"[:40] for k, v, _ in BOUNDS])
def test_a_value_beyond_its_bound_is_refused_saying_the_bound_and_why(tmp_path, key, value, expected):
    path = extending(tmp_path, {key: value})
    [line] = problems(path)
    assert line.startswith(f"{path}: {key}: {expected}")


CROSS = [
    (
        {"hospital.beds": 1_000_000},
        "hospital.beds: expected at most 466,921 (got 1,000,000): more than one per resident",
    ),
    (
        {"virtual_ward.places": [10, 10, 1e6]},
        "virtual_ward.places: expected every value at most 466,921 (got 1,000,000): more than one per resident",
    ),
    (
        {"workforce.gp.fte": [100, 95, 1e7]},
        "workforce.gp.fte: expected every value at most 466,921 (got 10,000,000): more than one per resident",
    ),
    ({"home_care.hours_capacity": [25000, 25000, 1e9]}, "home_care.hours_capacity: expected every value at most"),
    ({"crisis.hazard.elasticity": 3.0}, "crisis.hazard: expected at most 1,000,000 crises a year for the resident"),
    (
        {"routine_contacts.district_nurse.elasticity": 4.0},
        "routine_contacts.district_nurse: expected at most 1,000,000,000,000 contacts a year",
    ),
    ({"population.boroughs": ["westminster"] * 3}, "population.boroughs: expected each borough once"),
    # numpy refuses to draw with probabilities more than about 1.5e-8 from summing to 1
    ({"population.borough_share": [0.29, 0.29, 0.4200005]}, "population.borough_share: must sum to 1 within 1e-09"),
    ({"risk.weights.care_home": 500.0}, "risk.weights.care_home: expected at most 50 (got 500): a term of"),
    ({"meta.name": "../elsewhere"}, "meta.name: expected a scenario name, not empty, without / or \\"),
]


@pytest.mark.parametrize(("changes", "expected"), CROSS, ids=[next(iter(c)) for c, _ in CROSS])
def test_values_that_would_exhaust_a_run_together_are_refused(tmp_path, changes, expected):
    path = extending(tmp_path, changes)
    [line] = problems(path)
    assert line.startswith(f"{path}: {expected}")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("hours_per_person_week", 0.0, "expected more than 0 (got 0): hours a week each enrolled person needs"),
        ("caseload_per_fte", 1e9, "expected at most 10,000 (got 1,000,000,000): people one FTE can carry"),
    ],
)
def test_an_intervention_workforce_need_that_would_break_enrolment_is_refused(tmp_path, field, value, expected):
    need = {"role": "care_coordinator", "task": "care_coordination", field: value, "source": "test"}
    path = extending(tmp_path, {"interventions.care_coordination.workforce": [need]}, parent=WSIC)
    [line] = problems(path)
    assert line.startswith(f"{path}: interventions.care_coordination.workforce.0.{field}: {expected}")


@pytest.mark.parametrize("shipped", sorted(MODELS_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_the_shipped_models_load_without_warnings(shipped):
    loaded = load_model(shipped)
    assert warnings(loaded.model, 5, shipped) == []


# ----- warnings ---------------------------------------------------------------------------------------
WARNINGS = [
    (WSIC, {"virtual_ward.places": [30, 0, 45]}, "virtual_ward.places: 0 in kensington_chelsea while "),
    (BASELINE, {"virtual_ward.places": [0, 0, 0]}, "virtual_ward.places: 0 in hammersmith_fulham, kensington_chelsea"),
    (WSIC, {"intermediate_care.places": [0, 18, 26]}, "intermediate_care.places: 0 in hammersmith_fulham while "),
    (BASELINE, {"reablement.places": [125, 125, 0]}, "reablement.places: 0 in westminster while hospital.discharge"),
    (BASELINE, {"home_care.hours_capacity": [0, 25000, 36000]}, "home_care.hours_capacity: 0 in hammersmith_fulham"),
    (BASELINE, {"care_homes.nursing_places": 0}, "care_homes.nursing_places: 0 while care_homes.entry"),
    (BASELINE, {"access_point.triage_lines": 0}, "access_point.triage_lines: 0 while access_point.share_of_crises"),
    (BASELINE, {"workforce.rapid_response_nurse.fte": [9, 0, 12]}, "workforce.rapid_response_nurse.fte: 0 in kens"),
    (BASELINE, {"workforce.social_worker.fte": [0, 6, 9]}, "workforce.social_worker.fte: 0 in hammersmith_fulham"),
    (WSIC, {"workforce.care_coordinator.fte": [40, 35, 0]}, "workforce.care_coordinator.fte: 0 in westminster while"),
    (BASELINE, {"workforce.gp.fte": [100, 0, 140]}, "workforce.gp.fte: 0 in kensington_chelsea while routine_contacts"),
]


@pytest.mark.parametrize(("parent", "changes", "expected"), WARNINGS, ids=[next(iter(c)) for _, c, _ in WARNINGS])
def test_a_capacity_of_zero_where_there_is_demand_is_warned_about(parent, changes, expected):
    found = warnings(model_with(changes, parent), 5, "m.toml")
    assert [w for w in found if w.startswith(f"m.toml: {expected}")], found
    assert len(found) == 1, found


def test_an_intervention_no_one_takes_up_is_warned_about():
    found = warnings(model_with({"interventions.virtual_wards.uptake": 0.0}, WSIC), 5, "m.toml")
    assert found == ["m.toml: interventions.virtual_wards.uptake: 0; no one takes the intervention up"]


def test_no_warning_for_a_capacity_of_zero_nothing_asks_for():
    # baseline has no interventions: nothing diverts to intermediate care or asks for coordinators
    assert warnings(model_with({"intermediate_care.places": [0, 0, 0]}), 5, "m.toml") == []
    assert warnings(model_with({"access_point.triage_lines": 0, "access_point.share_of_crises": 0.0}), 5, "m") == []


def test_the_warning_says_what_the_engine_will_do(tmp_path, capsys):
    path = extending(tmp_path, {"reablement.places": [125, 125, 0]})
    assert cli(capsys, "validate", str(path)) == (
        0,
        [
            f"warning: {path}: reablement.places: 0 in westminster while hospital.discharge sends people to "
            "reablement; they will go home without it"
        ],
    )


def test_a_bounded_parameter_given_as_a_bare_number_is_asked_for_as_a_table(tmp_path):
    path = tmp_path / "model.toml"
    path.write_text(tomlkit.dumps({"extends": str(BASELINE), "risk": {"weights": {"care_home": 7}}}), encoding="utf-8")
    assert problems(path) == [f"{path}: risk.weights.care_home: expected a table {{ value, unit, source }} (got 7)"]
