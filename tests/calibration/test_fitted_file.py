"""The fitted file carries every value the fit sets: written from a vector and read back through
baseline.toml's `extends`, the model holds the same values, so nothing the fit moved is left at
its prior when the file is committed. Each value's unit is the one declared beside the parameters,
and the committed file is what the writer writes from its own values."""

from __future__ import annotations

import copy
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

from calibration import fitted_file
from calibration.parameters import (
    DEFAULT_FREE,
    NAMES,
    OOH_PER_ELECTIVE,
    PARAMETERS,
    UNITS,
    YOUNG_LEAF_SHIFT,
    _node,
    apply,
    fitted_values,
    has,
    setters,
    start,
)
from models.loader import load_model, resolved_data
from models.schema import CareModel

ROOT = Path(__file__).resolve().parents[2]


def test_written_values_read_back_the_same(tmp_path):
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    data = resolved_data(models / "baseline.toml")
    x = start(data)
    # every parameter moved by a step of its own, inside its bounds
    for k, p in enumerate(PARAMETERS):
        x[k] = x[k] + p.step if x[k] + p.step <= p.upper else x[k] - p.step
    record = {
        "status": "fitted",
        "fitted_on": "2026-01-01",
        "code_version": "wsic-sim 0.1.0 (abc1234)",
        "scale": 0.25,
        "seeds": [1, 2],
        "reps": 2,
        "evaluations": 40,
        "objective": 3.5,
        "method": 'wsic calibrate --rounds 2, started from "x"; a step by hand (C:\\runs) \u2713 \U0001f44d \x7f',
        "correct_to_scale": 1.0,
        "check_scale": 1.0,
        "check_reps": 5,
        "check_seed": 6,
        "targets": [{"name": "total_spend", "target": 589.5, "achieved": 590.1, "tolerance": 17.7, "within": True}],
    }
    # a kept parameter's source with quotes and a backslash is written as a valid string
    data["routine_contacts"]["gp"]["rate"]["source"] = 'table "A" \\ note'
    written = models / "fitted" / "tri_borough_2010.toml"
    fitted_file.write(written, data, x, record)

    with written.open("rb") as f:
        calibration = tomllib.load(f)["calibration"]
    assert calibration.pop("targets") == record["targets"]
    assert calibration == {k: v for k, v in record.items() if k != "targets"}
    again = resolved_data(models / "baseline.toml")
    CareModel.model_validate(again)
    assert again["routine_contacts"]["gp"]["rate"]["source"] == 'table "A" \\ note'
    want = fitted_values(data, x)
    got = fitted_values(again, start(again))
    assert set(got) == set(want)
    assert got == want, "every value exactly, not to six digits"
    # the model the file gives is the very model the fit checked, bar sources and the record, so the
    # file reproduces the figures recorded in it
    checked = _values(CareModel.model_validate(apply(data, x)).model_dump())
    from_file = _values(CareModel.model_validate(apply(again, start(again))).model_dump())
    assert from_file == checked
    # and the written file is the start of the next fit: its vector is the one written, less the
    # scales and shifts, which are folded into the rates and elasticities
    sigmas = [k for k, name in enumerate(NAMES) if ":" not in name]
    np.testing.assert_array_equal(start(again)[sigmas], x[sigmas])
    # each value carries its declared unit; the fit's source only where a free parameter set it
    note = fitted_file.source(record)
    chosen = {NAMES[k] for k in DEFAULT_FREE}
    held = []
    for path, unit in UNITS.items():
        if not has(again, path):  # a section this model leaves out (crisis.frequent_attenders)
            continue
        assert _node(again, path)["unit"] == unit, path
        fitted = any(name in chosen for name in setters(path))
        # a held value keeps its own label (a hand-set assumption says so), unless that claims a fit;
        # a free parameter held here keeps the label of the earlier fit that set it (next test)
        prior = _node(data, path)["source"]
        earlier = bool(setters(path)) and prior.startswith(fitted_file.FITTED_BY)
        own = prior if earlier else fitted_file.held_source(_node(data, path))
        assert _node(again, path)["source"] == (note if fitted else own), path
        assert fitted or earlier or not own.startswith(("fitted", "assumption (to calibrate)")), path
        held += [] if fitted else [path]
    assert sorted(held) == [
        "crisis.hazard.leaf_elasticity",
        "crisis.under_65_leaf_shift",
        "home_care.referral.elasticity",
        "routine_contacts.gp.elasticity",  # parameters freed by name only (calibration/parameters.py)
        "routine_contacts.other_community.per_elective",
    ], "the values the fit holds fixed are labelled so, and no others"
    assert tomllib.loads(written.read_text(encoding="utf-8"))["need"]["frailty_sigma"]["source"] == (
        "fitted by wsic calibrate on 2026-01-01 to calibration/data (2010/11), scale 0.25, seeds [1, 2]"
    )


def test_a_fit_of_some_parameters_labels_those_and_leaves_an_earlier_fit_s_labels(tmp_path):
    """``wsic calibrate --free``: what this fit moved says so; a free parameter it held keeps the
    label of the fit that set it; a value no fit chooses stays an assumption."""
    data = resolved_data(ROOT / "models" / "baseline.toml")
    earlier = "fitted by wsic calibrate on 2025-06-01 to calibration/data (2010/11), scale 0.25, seeds [9]"
    data["routine_contacts"]["outpatient"]["rate"]["source"] = earlier
    hand = "assumption: set by hand in a probe"
    data["crisis"]["hazard"]["leaf_elasticity"]["source"] = hand
    x = start(data)
    x[NAMES.index("nel:log_scale")] += 0.1
    record = {"status": "fitted", "fitted_on": "2026-01-01", "scale": 0.25, "seeds": [1], "free": ["nel:log_scale"]}
    out = fitted_file.entries(data, x, record, (NAMES.index("nel:log_scale"),))
    note = fitted_file.source(record)
    assert out["crisis.hazard.rate"]["source"] == note
    assert out["routine_contacts.outpatient.rate"]["source"] == earlier
    assert out["crisis.hazard.leaf_elasticity"]["source"] == hand
    # the leaves' need multipliers are fitted by every fit (by fixed point, calibration/leaves.py)
    assert [p for p, e in out.items() if e["source"] == note] == ["crisis.hazard.rate", fitted_file.LEAF_MULTIPLIERS]
    # and the file written from such a record labels the same way
    written = tmp_path / "fitted.toml"
    fitted_file.write(written, data, x, record)
    doc = tomllib.loads(written.read_text(encoding="utf-8"))
    assert doc["crisis"]["hazard"]["rate"]["source"] == note
    assert doc["routine_contacts"]["outpatient"]["rate"]["source"] == earlier
    assert doc["calibration"]["free"] == ["nel:log_scale"]


def test_a_fit_that_held_the_leaves_keeps_their_label():
    """--leaf-steps 0 holds the cost-tree leaves' need where the model has it: their label is the
    earlier fit's (or held), not this fit's."""
    data = resolved_data(ROOT / "models" / "baseline.toml")
    x = start(data)
    earlier = "fitted by wsic calibrate on 2025-06-01 to calibration/data (2010/11), scale 0.25, seeds [9]"
    leaves_entry = fitted_file._at(data, fitted_file.LEAF_MULTIPLIERS)
    leaves_entry["source"] = earlier
    record = {"status": "fitted", "fitted_on": "2026-01-01", "scale": 0.25, "seeds": [1], "leaf_steps": 0}
    out = fitted_file.entries(data, x, record)
    assert out[fitted_file.LEAF_MULTIPLIERS]["source"] == earlier
    leaves_entry["source"] = "assumption: set by hand"
    assert fitted_file.entries(data, x, record)[fitted_file.LEAF_MULTIPLIERS]["source"] == "assumption: set by hand"
    moved = fitted_file.entries(data, x, {**record, "leaf_steps": 2})
    assert moved[fitted_file.LEAF_MULTIPLIERS]["source"] == fitted_file.source({**record, "leaf_steps": 2})


def test_the_declared_units_are_the_model_s_own():
    """UNITS holds a unit for every value the vector sets, the unit the committed model gives it."""
    data = resolved_data(ROOT / "models" / "baseline.toml")
    values = fitted_values(data, start(data))
    # every unit but those of sections the committed model leaves out (crisis.frequent_attenders)
    declared = {path: unit for path, unit in UNITS.items() if has(data, path)}
    assert set(declared) == set(values)
    assert {path: _node(data, path)["unit"] for path in values} == declared


def test_the_committed_file_is_what_the_writer_writes_from_its_own_values(tmp_path):
    """Rewritten from the values it gives the model, with its own record, the committed file comes
    back byte for byte, and the model read through it is the committed model bit for bit."""
    committed = ROOT / "models" / "fitted" / "tri_borough_2010.toml"
    data = resolved_data(ROOT / "models" / "baseline.toml")
    record = tomllib.loads(committed.read_text(encoding="utf-8"))["calibration"]
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    rewritten = models / "fitted" / "tri_borough_2010.toml"
    fitted_file.write(rewritten, data, start(data), record)
    assert rewritten.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")
    before = load_model(ROOT / "models" / "baseline.toml").model.model_dump()
    after = load_model(models / "baseline.toml").model.model_dump()
    assert repr(after) == repr(before), "every float to the last bit (repr tells -0.0 and each digit apart)"


def test_a_value_outside_the_file_s_tables_is_refused():
    with pytest.raises(ValueError, match=r"hospital\.beds: not in any of the fitted file's tables"):
        fitted_file.section_of("hospital.beds")


def _values(d: object) -> object:
    """The model's values, without sources or the calibration record."""
    if isinstance(d, dict):
        return {k: _values(v) for k, v in d.items() if k not in ("source", "calibration")}
    if isinstance(d, list):
        return [_values(v) for v in d]
    return d


def test_to_calibrate_marks_exactly_what_the_fit_moves():
    """ "assumption (to calibrate)" in a source says the fit will choose the value: every value so
    marked in business as usual is set by a free parameter of the fit."""
    data = resolved_data(ROOT / "models" / "baseline.toml")
    chosen = {NAMES[k] for k in DEFAULT_FREE}
    moved = {path for path in fitted_values(data, start(data)) if any(n in chosen for n in setters(path))}
    marked = []

    def walk(node, path):
        if isinstance(node, dict):
            if "value" in node and "to calibrate" in str(node.get("source", "")):
                marked.append(".".join(path))
            for key, child in node.items():
                walk(child, (*path, key))

    walk(data, ())
    assert [p for p in marked if p not in moved] == []


def test_an_optional_value_the_model_leaves_out_stays_out_unless_the_fit_sets_it():
    """Contacts after electives are optional: a model without them has none in its fitted file
    while the fit leaves them at zero, and the value the fit sets when it moves them."""
    data = resolved_data(ROOT / "models" / "baseline.toml")
    del data["routine_contacts"]["other_community"]["per_elective"]
    x = start(data)
    k = NAMES.index(OOH_PER_ELECTIVE)
    assert x[k] == 0
    assert OOH_PER_ELECTIVE not in fitted_values(data, x)
    x[k] = 2.0
    assert fitted_values(data, x)[OOH_PER_ELECTIVE] == 2.0
    assert CareModel.model_validate(apply(data, x)).routine_contacts.other_community.per_elective.value == 2.0
    assert "per_elective" not in data["routine_contacts"]["other_community"], "the model's data is left alone"


def test_the_young_crises_leaf_shift_is_optional_and_freed_by_name_only():
    """Off in a model that lacks it, so its fitted file holds none while the fit leaves it at zero;
    a default fit does not free it; a fit that sets it writes it where the model reads it; the
    shipped model's fitted value is where a fit starts."""
    shipped = resolved_data(ROOT / "models" / "baseline.toml")
    k = NAMES.index(YOUNG_LEAF_SHIFT)
    assert start(shipped)[k] == shipped["crisis"]["under_65_leaf_shift"]["value"] > 0
    data = copy.deepcopy(shipped)
    del data["crisis"]["under_65_leaf_shift"]
    x = start(data)
    assert x[k] == 0
    assert k not in DEFAULT_FREE
    assert YOUNG_LEAF_SHIFT not in fitted_values(data, x)
    assert not has(apply(data, x), YOUNG_LEAF_SHIFT), "the model checked is the model written"
    x[k] = 0.4
    assert fitted_values(data, x)[YOUNG_LEAF_SHIFT] == 0.4
    assert CareModel.model_validate(apply(data, x)).crisis.under_65_leaf_shift.value == 0.4
    assert "under_65_leaf_shift" not in data["crisis"], "the model's data is left alone"
