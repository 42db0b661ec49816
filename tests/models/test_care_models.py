"""Care model files: extends, the intervention library, and every way an intervention can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.loader import ModelFileError, load_model
from models.schema import MECHANISMS

MODELS = Path(__file__).resolve().parents[2] / "models"
WSIC_TEXT = (MODELS / "wsic.toml").read_text()

FIFTEEN = {
    "care_planning",
    "virtual_wards",
    "early_supported_discharge",
    "hybrid_workforce",
    "specialist_opinion",
    "gp_reviews_and_case_conferences",
    "supported_self_care",
    "patient_and_family_groups",
    "end_of_life_support",
    "single_point_assessment",
    "peer_review",
    "care_coordination",
    "specialist_interventions",
    "rapid_response",
    "mental_health_liaison",
}
EXTRA = {"falls_prevention", "reablement", "intermediate_care_beds", "care_home_support"}


def child(tmp_path: Path, body: str, name: str = "child.toml") -> Path:
    """A model file beside a copy of the shipped models, so that extends resolves."""
    for f in ("baseline.toml", "wsic.toml", "fitted/tri_borough_2010.toml"):
        (tmp_path / f).parent.mkdir(exist_ok=True)
        (tmp_path / f).write_text((MODELS / f).read_text())
    path = tmp_path / name
    path.write_text(body)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    return info.value.problems


def one(path: Path, key: str) -> str:
    lines = problems(path)
    hits = [p for p in lines if p.startswith(f"{path}: {key}")]
    assert hits, lines
    return hits[0]


def test_wsic_validates_and_holds_the_library():
    m = load_model(MODELS / "wsic.toml")
    names = set(m.model.interventions)
    assert names >= FIFTEEN | EXTRA
    assert [s.path.name for s in m.sources] == ["wsic.toml", "baseline.toml", "tri_borough_2010.toml"]
    for name, iv in m.model.interventions.items():
        assert iv.evidence and iv.evidence_strength in ("strong", "moderate", "weak", "null"), name
        if iv.evidence_strength == "null":  # a null result: a range around no effect (the schema refuses less)
            for m in iv.mechanisms:
                lo, hi = m.effect.bounds()
                if m.kind == "divert":
                    assert lo == 0, name
                elif m.target == "care_home_entry":  # at most 1: a place already follows every need
                    assert lo < 1 == hi, name
                else:
                    assert lo < 1 < hi, name
        for mech in iv.mechanisms:
            assert mech.effect.source, name
            lo, _hi = mech.effect.bounds()
            if iv.evidence_strength in ("weak", "null") and mech.kind == "hazard":
                assert lo >= 0.8, f"{name}: weak evidence must stay modest"


def test_wsic_targets_the_top_three_strata_and_rolls_out_over_time():
    m = load_model(MODELS / "wsic.toml").model
    strata = set()
    for iv in m.interventions.values():
        if "care_home" not in iv.eligibility.settings:
            strata |= set(iv.eligibility.strata)
    assert strata == {"very_high", "high", "moderate"}
    assert any(iv.start_year > 1 or iv.ramp_years > 1 for iv in m.interventions.values())


def test_extends_overrides_only_what_changes(tmp_path):
    path = child(
        tmp_path,
        'extends = "baseline.toml"\n[meta]\nname = "more_beds"\ndescription = "x"\n'
        'price_year = "2010/11"\n[hospital]\nbeds = { value = 2000, unit = "beds", source = "test" }\n',
    )
    m = load_model(path).model
    base = load_model(MODELS / "baseline.toml").model
    assert m.hospital.beds.value == 2000
    assert m.hospital.p_admit == base.hospital.p_admit
    assert m.meta.name == "more_beds"


def test_override_without_its_own_source_is_rejected(tmp_path):
    path = child(tmp_path, 'extends = "baseline.toml"\n[hospital]\nbeds = { value = 2000, unit = "beds" }\n')
    assert "needs its own source" in one(path, "hospital.beds")


def test_cycle_in_extends_is_rejected(tmp_path):
    a = child(tmp_path, 'extends = "b.toml"\n', "a.toml")
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    line = problems(a)[0]
    assert "cycle in extends" in line and "a.toml" in line and "b.toml" in line


def test_extends_naming_a_missing_file_is_rejected(tmp_path):
    path = child(tmp_path, 'extends = "nowhere.toml"\n')
    assert "no such model file" in one(path, "extends")


def _wsic_with(tmp_path: Path, old: str, new: str) -> Path:
    assert WSIC_TEXT.count(old) >= 1, old
    return child(tmp_path, WSIC_TEXT.replace(old, new, 1), "bad.toml")


def test_intervention_naming_an_unknown_role_is_rejected(tmp_path):
    path = _wsic_with(
        tmp_path,
        'role = "care_coordinator", task = "care_coordination"',
        'role = "navigator", task = "care_coordination"',
    )
    line = one(path, "interventions.care_coordination.workforce.0.role")
    assert "navigator" in line


def test_intervention_naming_an_unknown_mechanism_is_rejected(tmp_path):
    path = _wsic_with(
        tmp_path, 'kind = "divert", target = "virtual_ward"', 'kind = "teleport", target = "virtual_ward"'
    )
    line = one(path, "interventions.virtual_wards.mechanisms.0.kind")
    assert "teleport" in line and "hazard" in line


def test_mechanism_with_a_target_it_cannot_have_is_rejected(tmp_path):
    path = _wsic_with(tmp_path, 'kind = "divert", target = "virtual_ward"', 'kind = "divert", target = "death"')
    line = one(path, "interventions.virtual_wards.mechanisms.0")
    assert all(t in line for t in MECHANISMS["divert"])


def test_intervention_naming_an_unknown_stratum_is_rejected(tmp_path):
    path = _wsic_with(
        tmp_path,
        'strata = ["very_high", "high"], min_age = 65 }',
        'strata = ["very_high", "extreme"], min_age = 65 }',
    )
    assert "extreme" in problems(path)[0] and ".eligibility.strata.1" in problems(path)[0]


def test_probability_effect_outside_unit_interval_is_rejected(tmp_path):
    path = _wsic_with(
        tmp_path,
        'mode = 0.02, high = 0.05, unit = "probability a crisis goes to the virtual ward',
        'mode = 0.02, high = 1.8, unit = "probability a crisis goes to the virtual ward',
    )
    assert "probability" in one(path, "interventions.virtual_wards.mechanisms.0")


def test_uptake_outside_unit_interval_is_rejected(tmp_path):
    # care_planning is the first intervention with this uptake line
    path = _wsic_with(tmp_path, "uptake = { value = 0.6,", "uptake = { value = 1.6,")
    one(path, "interventions.care_planning.uptake.value")


def test_task_a_role_cannot_do_is_rejected(tmp_path):
    path = _wsic_with(
        tmp_path,
        'role = "care_coordinator", task = "care_coordination"',
        'role = "gp", task = "care_coordination"',
    )
    assert "not among its tasks" in " ".join(problems(path))


def test_interventions_may_not_claim_visit_by_visit_roles(tmp_path):
    path = _wsic_with(
        tmp_path,
        'role = "care_coordinator", task = "care_coordination"',
        'role = "rapid_response_nurse", task = "rapid_response"',
    )
    assert "simulated visit by visit" in " ".join(problems(path))


def test_negative_fte_in_an_override_is_rejected(tmp_path):
    path = _wsic_with(tmp_path, "fte = { value = [40, 35, 55]", "fte = { value = [40, -35, 55]")
    one(path, "workforce.care_coordinator.fte.value")


def test_a_null_result_that_can_only_help_is_refused(tmp_path):
    """peer_review's evidence is null: a range that stops at no effect is refused, naming it."""
    path = _wsic_with(
        tmp_path,
        'low = 0.99, mode = 1.0, high = 1.01, unit = "multiplier on crisis hazard", source = "Akbari',
        'low = 0.95, mode = 0.98, high = 1.0, unit = "multiplier on crisis hazard", source = "Akbari',
    )
    assert "a null result is not one that can only help" in one(path, "interventions.peer_review")


def test_a_null_diversion_must_reach_none(tmp_path):
    path = _wsic_with(
        tmp_path,
        'low = 0.0, mode = 0.02, high = 0.05, unit = "probability a crisis goes to the virtual ward',
        'low = 0.01, mode = 0.02, high = 0.05, unit = "probability a crisis goes to the virtual ward',
    )
    assert "needs a range from 0" in one(path, "interventions.virtual_wards")
