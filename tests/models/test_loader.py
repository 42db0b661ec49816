"""How model files are read and how bad ones are rejected.

Every problem must be one line, ``FILE: KEY.PATH: what is wrong``, so each test asserts that a line
starts with the file name followed by the exact key path. Bad files are built from the shipped
baseline: parsed with tomllib, changed at a dotted key path, and written back with the small TOML
writer below (enough for the subset model files use), so the tests do not depend on the baseline's
layout or numbers.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import tomllib
from pathlib import Path

import pytest

from models.loader import LoadedModel, ModelFileError, load_model, resolved_data
from models.schema import ROLES, CareModel

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "models" / "baseline.toml"
BASELINE_DATA = resolved_data(BASELINE)  # merged with the fitted parameters it extends
N_BANDS = len(BASELINE_DATA["population"]["age_band_lower"]["value"])
N_BOROUGHS = len(BASELINE_DATA["population"]["boroughs"])


# --- a TOML writer for the subset model files use ---------------------------------------------


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dumps(data: dict) -> str:
    """Top-level scalars, then one [section] per top-level table with inline tables inside."""
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, table in data.items():
        if isinstance(table, dict):
            lines.append(f"[{_toml_key(section)}]")
            lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


# --- building bad files -----------------------------------------------------------------------


def baseline_data() -> dict:
    return copy.deepcopy(BASELINE_DATA)


def _parent(data: dict, key: str) -> tuple[dict, str]:
    *parents, last = key.split(".")
    node = data
    for k in parents:
        node = node[k]
    return node, last


def set_at(data: dict, key: str, value: object) -> dict:
    node, last = _parent(data, key)
    node[last] = value
    return data


def delete_at(data: dict, key: str) -> dict:
    node, last = _parent(data, key)
    assert last in node, f"{key} is not in the baseline; the test needs updating"
    del node[last]
    return data


def write(tmp_path: Path, content: dict | str | bytes, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    if isinstance(content, dict):
        content = dumps(content)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def problems_of(path: Path) -> list[str]:
    """The problems reported for a file that must be rejected, checked for the common form."""
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    problems = info.value.problems
    assert problems, "a rejected file must report at least one problem"
    assert str(info.value) == "\n".join(problems)
    for line in problems:
        assert "\n" not in line, f"a problem must be one line: {line!r}"
        assert line.startswith(f"{path}: "), f"a problem must start with the file name: {line!r}"
        assert "errors.pydantic.dev" not in line
    return problems


def line_for(path: Path, problems: list[str], key: str) -> str:
    """The one problem about exactly ``key``."""
    prefix = f"{path}: {key}: "
    lines = [p for p in problems if p.startswith(prefix)]
    assert len(lines) == 1, f"expected one problem starting {prefix!r}, got {problems}"
    return lines[0]


def rejected(tmp_path: Path, data: dict, key: str) -> str:
    """Write ``data``, check it is rejected with a single problem naming ``key``, return that line."""
    path = write(tmp_path, data)
    problems = problems_of(path)
    line = line_for(path, problems, key)
    assert problems == [line], f"expected only the problem about {key}, got {problems}"
    return line


# --- the writer itself ------------------------------------------------------------------------


def test_writer_round_trips_the_baseline(tmp_path):
    path = write(tmp_path, baseline_data(), "copy.toml")
    assert tomllib.loads(path.read_text(encoding="utf-8")) == BASELINE_DATA
    assert load_model(path).model == load_model(BASELINE).model


# --- good files -------------------------------------------------------------------------------


def test_shipped_baseline_validates():
    loaded = load_model(BASELINE)
    assert isinstance(loaded, LoadedModel)
    assert isinstance(loaded.model, CareModel)
    assert loaded.path == BASELINE
    assert loaded.model.meta.name == "baseline"
    raw = BASELINE.read_bytes()
    assert loaded.sha256 == hashlib.sha256(raw).hexdigest()
    assert loaded.text == raw.decode("utf-8")
    assert set(loaded.model.workforce) == set(ROLES)


def test_loader_accepts_a_path_given_as_a_string():
    assert load_model(str(BASELINE)).model == load_model(BASELINE).model


def test_byte_order_mark_is_accepted(tmp_path):
    text = BASELINE.read_text().replace('extends = "fitted/', f'extends = "{BASELINE.parent}/fitted/')
    path = write(tmp_path, b"\xef\xbb\xbf" + text.encode(), "bom.toml")
    loaded = load_model(path)
    assert loaded.model == load_model(BASELINE).model
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


# --- unknown keys -----------------------------------------------------------------------------


def test_unknown_key_is_named(tmp_path):
    data = baseline_data()
    data["hospital"]["bedz"] = copy.deepcopy(data["hospital"]["beds"])
    line = rejected(tmp_path, data, "hospital.bedz")
    assert "unknown key" in line
    assert "did you mean 'beds'" in line


def test_unknown_key_inside_a_parameter_is_named(tmp_path):
    data = set_at(baseline_data(), "hospital.beds.units", "beds")
    line = rejected(tmp_path, data, "hospital.beds.units")
    assert "unknown key" in line
    assert "did you mean 'unit'" in line


def test_unknown_section_is_named(tmp_path):
    data = baseline_data()
    data["hospitall"] = {"beds": copy.deepcopy(data["hospital"]["beds"])}
    assert "unknown key" in rejected(tmp_path, data, "hospitall")


# --- wrong types ------------------------------------------------------------------------------


def test_wrong_type_is_named(tmp_path):
    line = rejected(tmp_path, set_at(baseline_data(), "hospital.beds.value", "many"), "hospital.beds.value")
    assert "'many'" in line
    assert "integer" in line


@pytest.mark.parametrize("value", ["1400", True, 1400.5], ids=["numeric-string", "bool", "fraction"])
def test_count_must_be_a_whole_number_not_a_look_alike(tmp_path, value):
    line = rejected(tmp_path, set_at(baseline_data(), "hospital.beds.value", value), "hospital.beds.value")
    assert repr(value) in line


@pytest.mark.parametrize("value", ["0.35", False], ids=["numeric-string", "bool"])
def test_probability_must_be_a_number_not_a_look_alike(tmp_path, value):
    key = "access_point.p_advice.value"
    assert repr(value) in rejected(tmp_path, set_at(baseline_data(), key, value), key)


def test_series_item_of_wrong_type_is_named(tmp_path):
    data = baseline_data()
    data["hospital"]["mean_los_days"]["value"][2] = "long"
    line = rejected(tmp_path, data, "hospital.mean_los_days.value.2")
    assert "'long'" in line


def test_parameter_written_as_a_bare_number_asks_for_a_table(tmp_path):
    line = rejected(tmp_path, set_at(baseline_data(), "hospital.beds", 1400), "hospital.beds")
    assert "expected a table { value, unit, source }" in line
    assert "(got 1400)" in line


def test_unit_cost_written_as_a_bare_number_asks_for_payer_too(tmp_path):
    key = "unit_costs.gp_contact"
    line = rejected(tmp_path, set_at(baseline_data(), key, 36), key)
    assert "{ value, unit, source, payer }" in line


def test_wrong_type_for_text_is_named(tmp_path):
    line = rejected(tmp_path, set_at(baseline_data(), "meta.name", 5), "meta.name")
    assert "string" in line


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
def test_non_finite_number_is_rejected(tmp_path, value):
    key = "hospital.los_sigma.value"
    line = rejected(tmp_path, set_at(baseline_data(), key, value), key)
    assert "finite" in line


def test_non_finite_number_in_a_series_names_the_item(tmp_path):
    data = baseline_data()
    data["hospital"]["mean_los_days"]["value"][0] = float("nan")
    assert "finite" in rejected(tmp_path, data, "hospital.mean_los_days.value.0")


def test_nan_probability_is_reported_once(tmp_path):
    key = "access_point.p_advice.value"
    assert "finite" in rejected(tmp_path, set_at(baseline_data(), key, float("nan")), key)


# --- missing fields ---------------------------------------------------------------------------


def test_missing_parameter_is_named(tmp_path):
    line = rejected(tmp_path, delete_at(baseline_data(), "hospital.beds"), "hospital.beds")
    assert "missing" in line


@pytest.mark.parametrize("field", ["source", "unit", "value"])
def test_missing_part_of_a_parameter_is_named(tmp_path, field):
    key = f"access_point.p_advice.{field}"
    assert "missing" in rejected(tmp_path, delete_at(baseline_data(), key), key)


def test_missing_section_is_named(tmp_path):
    assert "missing" in rejected(tmp_path, delete_at(baseline_data(), "hospital"), "hospital")


def test_empty_source_is_rejected(tmp_path):
    key = "hospital.beds.source"
    assert "''" in rejected(tmp_path, set_at(baseline_data(), key, ""), key)


def test_empty_file_names_every_missing_section(tmp_path):
    path = write(tmp_path, "", "empty.toml")
    problems = problems_of(path)
    required = [name for name, field in CareModel.model_fields.items() if field.is_required()]
    assert "interventions" not in required, "a model without interventions is business as usual"
    assert len(problems) == len(required)
    for section in required:
        assert "missing" in line_for(path, problems, section)


# --- values out of range ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [1.5, -0.1])
def test_probability_outside_unit_interval_is_named(tmp_path, value):
    key = "access_point.p_advice.value"
    line = rejected(tmp_path, set_at(baseline_data(), key, value), key)
    assert f"(got {value})" in line


def test_probability_series_item_above_one_is_named(tmp_path):
    data = baseline_data()
    data["hospital"]["p_admit"]["value"][3] = 1.2
    line = rejected(tmp_path, data, "hospital.p_admit.value")
    assert "item 3 is 1.2" in line


def test_probabilities_that_together_exceed_one_are_named(tmp_path):
    data = set_at(baseline_data(), "access_point.p_advice.value", 0.9)
    line = rejected(tmp_path, data, "access_point")
    assert "p_advice + p_rapid_response must not exceed 1" in line


def test_negative_beds_are_named(tmp_path):
    line = rejected(tmp_path, set_at(baseline_data(), "hospital.beds.value", -5), "hospital.beds.value")
    assert "(got -5)" in line


def test_negative_fte_is_named(tmp_path):
    data = set_at(baseline_data(), "workforce.gp.fte.value", [-1, 10, 10])
    line = rejected(tmp_path, data, "workforce.gp.fte.value")
    assert "item 0 is -1" in line


def test_negative_capacity_series_is_named(tmp_path):
    data = baseline_data()
    data["home_care"]["hours_capacity"]["value"][1] = -100
    assert "item 1 is -100" in rejected(tmp_path, data, "home_care.hours_capacity.value")


def test_zero_where_positive_required_is_named(tmp_path):
    key = "care_homes.dementia_entry_multiplier.value"
    assert "greater than 0" in rejected(tmp_path, set_at(baseline_data(), key, 0), key)


# --- unknown roles, risk weights, payers ------------------------------------------------------


def test_unknown_workforce_role_is_named(tmp_path):
    data = baseline_data()
    data["workforce"]["surgeon"] = copy.deepcopy(data["workforce"]["gp"])
    line = rejected(tmp_path, data, "workforce.surgeon")
    assert "unknown key" in line
    assert "'gp'" in line


def test_missing_workforce_role_is_named(tmp_path):
    line = rejected(tmp_path, delete_at(baseline_data(), "workforce.social_worker"), "workforce")
    assert "missing roles: social_worker" in line


def test_unknown_risk_weight_is_named(tmp_path):
    data = baseline_data()
    data["risk"]["weights"]["shoe_size"] = copy.deepcopy(data["risk"]["weights"]["smi"])
    line = rejected(tmp_path, data, "risk.weights.shoe_size")
    assert "unknown key" in line
    assert "'nel_admissions'" in line


@pytest.mark.parametrize("payer", ["insurer", "nhs", "Council", ""])
def test_payer_must_be_nhs_or_council(tmp_path, payer):
    key = "unit_costs.nel_admission.payer"
    line = rejected(tmp_path, set_at(baseline_data(), key, payer), key)
    assert "'NHS' or 'council'" in line
    assert f"(got {payer!r})" in line


def test_payer_of_a_workforce_cost_is_checked(tmp_path):
    key = "workforce.hybrid_worker.cost_per_fte.payer"
    assert "'NHS' or 'council'" in rejected(tmp_path, set_at(baseline_data(), key, "charity"), key)


def test_missing_payer_is_named(tmp_path):
    key = "unit_costs.sc_hour.payer"
    assert "missing" in rejected(tmp_path, delete_at(baseline_data(), key), key)


def test_unknown_borough_is_named(tmp_path):
    data = baseline_data()
    data["population"]["boroughs"][2] = "camden"
    assert "'camden'" in rejected(tmp_path, data, "population.boroughs.2")


# --- wrong shapes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "hospital.p_admit",
        "hospital.mean_los_days",
        "mortality.terminal_share",
        "mortality.annual_death_rate",
        "crisis.age_multiplier",
    ],
)
def test_wrong_length_age_band_series_is_named(tmp_path, key):
    data = baseline_data()
    series = _parent(data, key)[0][key.rsplit(".", 1)[1]]["value"]
    assert len(series) == N_BANDS
    del series[-1]
    line = rejected(tmp_path, data, key)
    assert f"has {N_BANDS - 1} values; expected {N_BANDS}" in line


def test_too_long_age_band_series_is_named(tmp_path):
    data = baseline_data()
    data["hospital"]["p_admit"]["value"].append(0.7)
    assert f"has {N_BANDS + 1} values" in rejected(tmp_path, data, "hospital.p_admit")


@pytest.mark.parametrize("key", ["virtual_ward.places", "reablement.places", "workforce.gp.fte"])
def test_wrong_length_borough_series_is_named(tmp_path, key):
    data = baseline_data()
    del _parent(data, key)[0][key.rsplit(".", 1)[1]]["value"][-1]
    line = rejected(tmp_path, data, key)
    assert f"has {N_BOROUGHS - 1} values; expected {N_BOROUGHS}" in line


def test_wrong_length_population_series_is_named(tmp_path):
    data = baseline_data()
    data["population"]["dementia_prevalence"]["value"].append(0.2)
    line = rejected(tmp_path, data, "population.dementia_prevalence")
    assert f"has {N_BANDS + 1} values; expected {N_BANDS}" in line


def test_discharge_row_of_wrong_width_is_named(tmp_path):
    data = baseline_data()
    data["hospital"]["discharge"]["value"][1] = [0.5, 0.5]
    assert "row 1 has 2 columns" in rejected(tmp_path, data, "hospital.discharge")


def test_matrix_row_not_summing_to_one_is_named(tmp_path):
    data = baseline_data()
    data["hospital"]["discharge"]["value"][0] = [0.5, 0.0, 0.0, 0.0]
    assert "row 0 sums to 0.500000" in rejected(tmp_path, data, "hospital.discharge.value")


def test_cost_tree_needs_all_leaves(tmp_path):
    data = baseline_data()
    data["need"]["segment_mean_cost"]["value"].pop()
    assert "18 leaves" in rejected(tmp_path, data, "need.segment_mean_cost")


@pytest.mark.parametrize("value", [[1.0] * 17, [1.0] * 17 + [0.0]])
def test_leaf_need_multipliers_need_18_positive_values(tmp_path, value):
    data = baseline_data()
    data["need"]["segment_need_multiplier"] = {"value": value, "unit": "multiplier", "source": "test"}
    assert "18 positive multipliers" in rejected(tmp_path, data, "need.segment_need_multiplier")


# --- files that are not model files -----------------------------------------------------------


def test_unparsable_toml_names_file_and_line(tmp_path):
    lines = BASELINE.read_text(encoding="utf-8").splitlines()
    number = lines.index("[hospital]") + 1
    lines[number - 1] = "[hospital"
    path = write(tmp_path, "\n".join(lines) + "\n")
    problems = problems_of(path)
    assert len(problems) == 1
    assert "not valid TOML" in problems[0]
    assert f"at line {number}," in problems[0]


def test_duplicate_key_is_a_toml_error_with_its_line(tmp_path):
    text = '[meta]\nname = "a"\ndescription = "b"\nname = "c"\n'
    path = write(tmp_path, text)
    (problem,) = problems_of(path)
    assert "not valid TOML" in problem
    assert "at line 4," in problem


def test_missing_file_is_one_line_naming_it(tmp_path):
    path = tmp_path / "no_such_model.toml"
    problems = problems_of(path)
    assert len(problems) == 1
    assert "cannot read file" in problems[0]
    assert "no_such_model.toml" in problems[0]


def test_directory_is_not_a_model_file(tmp_path):
    (problem,) = problems_of(tmp_path)
    assert "cannot read file" in problem


def test_file_that_is_not_utf8_names_the_line(tmp_path):
    text = BASELINE.read_bytes().replace(b"[hospital]", b"[hospital]\n# caf\xe9", 1)
    number = text[: text.index(b"caf")].count(b"\n") + 1
    (problem,) = problems_of(write(tmp_path, text))
    assert "not UTF-8" in problem
    assert f"line {number}" in problem


# --- several problems -------------------------------------------------------------------------


def test_several_problems_are_one_line_each(tmp_path):
    data = baseline_data()
    set_at(data, "hospital.beds.value", -5)
    set_at(data, "access_point.p_advice.value", 1.5)
    set_at(data, "unit_costs.nel_admission.payer", "insurer")
    data["hospital"]["bedz"] = copy.deepcopy(data["hospital"]["beds"])
    delete_at(data, "workforce.gp.fte.source")
    path = write(tmp_path, data)
    problems = problems_of(path)
    keys = [
        "hospital.beds.value",
        "access_point.p_advice.value",
        "unit_costs.nel_admission.payer",
        "hospital.bedz",
        "workforce.gp.fte.source",
    ]
    assert len(problems) == len(keys), problems
    for key in keys:
        line_for(path, problems, key)


def test_blank_source_is_rejected(tmp_path):
    line = rejected(tmp_path, set_at(baseline_data(), "hospital.beds.source", "   "), "hospital.beds.source")
    assert "at least 1 character" in line


def test_every_failed_cross_check_is_reported(tmp_path):
    data = baseline_data()
    set_at(data, "hospital.p_admit.value", [0.3] * 5)
    set_at(data, "hospital.mean_los_days.value", [5.0] * 4)
    set_at(data, "access_point.p_advice.value", 0.9)
    problems = problems_of(write(tmp_path, data))
    assert len(problems) == 3, problems
    assert any(": hospital.p_admit: " in p for p in problems)
    assert any(": hospital.mean_los_days: " in p for p in problems)
    assert any(": access_point: " in p and "must not exceed 1" in p for p in problems)


def test_a_zero_death_rate_is_refused(tmp_path):
    data = baseline_data()
    data["mortality"]["annual_death_rate"]["value"][0] = 0.0
    line = rejected(tmp_path, data, "mortality.annual_death_rate")
    assert "expected every value more than 0 (item 0 is 0" in line


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ({"ages": [10, 20, 30], "value": [0.1, 0.2]}, "has 3 ages and 2 values; expected one value per age"),
        ({"ages": [10, 10], "value": [0.1, 0.2]}, "expected ages of at least 0, each above the one before"),
        ({"value": [0.1] * 6}, "expected ages = [...] beside value, one age per value"),  # one a band
    ],
)
def test_a_malformed_start_profile_is_named(tmp_path, profile, expected):
    data = baseline_data()
    shift = data["need"]["frailty_start_shift"]
    shift.pop("ages")
    shift.update(profile)
    line = rejected(tmp_path, data, "need.frailty_start_shift")
    assert expected in line
