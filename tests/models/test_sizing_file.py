"""A sizing file is refused with one line per problem, naming the file, the key and what was
expected, and the shipped example is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.loader import ModelFileError
from models.sizing import load_sizing

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "experiments" / "sizing_files" / "rapid_response.toml"
MODEL = ROOT / "models" / "wsic.toml"

GOOD = f"""
[meta]
name = "t"
description = "a test"

[run]
model = "{MODEL}"
years = 1
scale = 0.05
first_reps = 2
max_reps = 4

[[roles]]
role = "rapid_response_nurse"
boroughs = ["westminster"]
fte = [4, 8, 12]

[[roles]]
role = "care_coordinator"
fte = [10, 20]

[[service_levels]]
measure = "rr_within_2h_rate"
role = "rapid_response_nurse"
at_least = 0.9

[[service_levels]]
measure = "wait_to_enrol_days"
role = "care_coordinator"
intervention = "care_coordination"
at_most = 14
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sizing.toml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ModelFileError) as err:
        load_sizing(write(tmp_path, text))
    return err.value.problems


def test_the_example_and_a_good_file_load(tmp_path):
    example = load_sizing(EXAMPLE)
    assert example.model.model.meta.name == "wsic"
    assert [r.role for r in example.sizing.roles] == ["rapid_response_nurse", "care_coordinator"]
    good = load_sizing(write(tmp_path, GOOD))
    assert good.sizing.roles[0].boroughs == ["westminster"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("first_reps = 2", "first_reps = 5", "run: max_reps (4) must be at least first_reps (5)"),
        ("max_reps = 4", "max_reps = 1", "run.max_reps: Input should be greater than or equal to 2"),
        ("fte = [4, 8, 12]", "fte = [4, 12, 8]", "roles.0.fte: must be strictly increasing FTE levels"),
        ("fte = [4, 8, 12]", "fte = [4]", "roles.0.fte: List should have at least 2 items"),
        ("fte = [4, 8, 12]", "fte = [4, -1, 12]", "roles.0.fte.1: Input should be greater than or equal to 0"),
        ('boroughs = ["westminster"]', 'boroughs = ["camden"]', "roles.0.boroughs: 'camden' is not a borough"),
        ('role = "rapid_response_nurse"\nboroughs', 'role = "gp"\nboroughs', "roles.0.role: Input should be"),
        ("at_least = 0.9", "at_least = 90", "rr_within_2h_rate is a share; its threshold must be in [0, 1]"),
        ("at_least = 0.9", "at_least = 0.9\nat_most = 1", "give exactly one of at_least or at_most"),
        ('intervention = "care_coordination"\n', "", "wait_to_enrol_days needs intervention"),
        ('intervention = "care_coordination"', 'intervention = "yoga"', "'yoga' is not an intervention of the model"),
        ("years = 1", "years = 1\nhorizon = 5", "run.horizon: unknown key"),
        ("scale = 0.05", "scale = 0", "run.scale: Input should be greater than 0"),
        ("scale = 0.05", "scale = nan", "run.scale: expected a finite number"),
        ('model = "', 'model = "nowhere/', "run.model: no such model file"),
    ],
)
def test_refusals_name_the_file_and_key(tmp_path, old, new, expected):
    assert old in GOOD
    lines = problems(tmp_path, GOOD.replace(old, new, 1))
    assert any(expected in line for line in lines), lines
    assert all(line.startswith(str(tmp_path / "sizing.toml")) for line in lines), lines


def test_a_service_level_must_be_for_a_swept_role(tmp_path):
    text = GOOD.replace('role = "care_coordinator"\nintervention', 'role = "social_worker"\nintervention')
    text = text.replace('measure = "wait_to_enrol_days"', 'measure = "assessment_wait_days"')
    text = text.replace('intervention = "care_coordination"\n', "")
    lines = problems(tmp_path, text)
    assert any("service_levels.1: role social_worker is not among the roles swept" in line for line in lines), lines


def test_an_intervention_that_needs_no_such_role_is_refused(tmp_path):
    text = GOOD.replace('intervention = "care_coordination"', 'intervention = "rapid_response"')
    lines = problems(tmp_path, text)
    assert any("rapid_response needs no care_coordinator" in line for line in lines), lines


def test_not_toml(tmp_path):
    assert "not valid TOML" in problems(tmp_path, "[meta\n")[0]
