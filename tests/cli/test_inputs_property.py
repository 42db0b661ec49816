"""No input crashes a run: mutated model files are either run or refused with one line per problem.

Hypothesis mutates the resolved data of the shipped models (numbers scaled across signs and
magnitudes, keys dropped or renamed, types swapped, ``extends`` pointed elsewhere), writes each as
TOML and runs ``wsic validate`` and a tiny ``wsic run`` on it. Each must exit 0, or exit 2 with
every stderr line a problem line (or a note, a warning or a flag line) and no output directory;
a file that validates must run. The slow test's number of examples (60, under a minute) can be
raised for a longer search with the environment variable WSIC_PROPERTY_EXAMPLES.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import os
import tempfile
from pathlib import Path

import pytest
import tomlkit
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import wsic
from models.loader import MODELS_DIR, resolved_data

SHIPPED = [MODELS_DIR / "baseline.toml", MODELS_DIR / "wsic.toml"]
DATA = {p.name: resolved_data(p) for p in SHIPPED}
FACTORS = (-1e6, -1.0, 0.0, 1e-9, 0.5, 2.0, 1e3, 1e9)
SMALL = "0.0004"  # about 190 residents of the tri-borough's 466,921
INT64 = 2**63
FITTED = MODELS_DIR / "fitted" / "tri_borough_2010.toml"
EXTENDS = ("no_such_model.toml", "itself", *(str(p) for p in (*SHIPPED, FITTED)))
ALLOWED_PREFIXES = ("note:", "warning:", "wsic run:", "wsic validate:")


# ----- the data's shape ----------------------------------------------------------------------------
def _paths(node: object, here: tuple = ()) -> list[tuple]:
    """Every key path below ``node`` (dict keys and list indexes)."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out.append((*here, k))
        out.extend(_paths(v, (*here, k)))
    return out


def _get(data: dict, path: tuple) -> object:
    for k in path:
        data = data[k]
    return data


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# ----- mutations -----------------------------------------------------------------------------------
def _scaled(v: int | float, factor: float) -> int | float:
    x = v * factor
    if isinstance(v, int) and math.isfinite(x) and float(x).is_integer() and abs(x) < INT64:
        return int(x)  # an integer stays one where it can, so that counts are tested too
    return x


def _swapped(v: object, pick: int) -> object:
    if _is_number(v):
        return (str(v), [v], {"value": v})[pick]  # a string, a list or a table
    if isinstance(v, str):
        return 1.5
    if isinstance(v, list):
        return 3
    if isinstance(v, dict):
        return 2.0
    return "yes"


def _mutate(draw, data: dict, name: str) -> str:
    """Apply one drawn mutation to ``data`` in place; return what it did (for the failure report)."""
    kind = draw(st.sampled_from(("scale", "scale", "scale", "drop", "rename", "swap", "extends")))
    if kind == "extends":
        target = draw(st.sampled_from(EXTENDS))
        data["extends"] = name if target == "itself" else target
        return f"extends = {data['extends']}"
    paths = _paths(data)
    if kind == "scale":
        paths = [p for p in paths if _is_number(_get(data, p))]
    elif kind in ("drop", "rename"):
        paths = [p for p in paths if isinstance(_get(data, p[:-1]), dict)]
    path = draw(st.sampled_from(paths))
    parent, key = _get(data, path[:-1]), path[-1]
    if kind == "scale":
        factor = draw(st.sampled_from(FACTORS))
        parent[key] = _scaled(parent[key], factor)
        return f"{path} x {factor}"
    if kind == "drop":
        del parent[key]
        return f"drop {path}"
    if kind == "rename":
        parent[f"{key}_renamed"] = parent.pop(key)
        return f"rename {path}"
    parent[key] = _swapped(parent[key], draw(st.integers(0, 2)))
    return f"swap type of {path}"


@st.composite
def mutated_models(draw) -> tuple[str, dict, list[str]]:
    name = draw(st.sampled_from(sorted(DATA)))
    data = copy.deepcopy(DATA[name])
    done = [_mutate(draw, data, name) for _ in range(draw(st.integers(1, 3)))]
    return name, data, done


# ----- running the CLI -----------------------------------------------------------------------------
def _main(argv: list[str]) -> tuple[int, list[str]]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = wsic.main(argv)
    return code, err.getvalue().splitlines()


def _is_problem_line(line: str, files: tuple[str, ...]) -> bool:
    return line.startswith(ALLOWED_PREFIXES) or any(line.startswith(f"{f}: ") and len(line) > len(f) + 2 for f in files)


def check_mutated(tmp_path: Path, example: tuple[str, dict, list[str]]) -> None:
    name, data, done = example
    here = Path(tempfile.mkdtemp(dir=tmp_path))
    model = here / name
    model.write_text(tomlkit.dumps(data), encoding="utf-8")
    out = here / "out"
    files = (str(model), *(str(p) for p in SHIPPED), *EXTENDS)

    code, lines = _main(["validate", str(model)])
    assert code in (0, 2), f"validate exited {code} after {done}"
    if code == 2:
        bad = [line for line in lines if not _is_problem_line(line, files)]
        assert lines and not bad, f"validate after {done}: lines not in the problem format: {bad or lines}"

    event("validated" if code == 0 else "refused")
    run_code, lines = _main(["run", str(model), "--reps", "1", "--years", "1", "--scale", SMALL, "--out", str(out)])
    assert run_code in (0, 2), f"run exited {run_code} after {done}"
    assert run_code == code, f"validate exited {code} but run exited {run_code} after {done}: {lines}"
    if run_code == 2:
        bad = [line for line in lines if not _is_problem_line(line, files)]
        assert lines and not bad, f"run after {done}: lines not in the problem format: {bad or lines}"
        assert not out.exists(), f"run refused the file after {done} but wrote {out}"
    else:
        assert (out / "results.parquet").exists()


def _scaled_example(name: str, path: tuple, factor: float) -> tuple[str, dict, list[str]]:
    """A fixed example of one number scaled, so that the quick test surely runs a model too."""
    data = copy.deepcopy(DATA[name])
    parent = _get(data, path[:-1])
    parent[path[-1]] = _scaled(parent[path[-1]], factor)
    return name, data, [f"{path} x {factor}"]


COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}


@settings(max_examples=3, derandomize=True, database=None, **COMMON)
@given(example=mutated_models())
@example(example=_scaled_example("baseline.toml", ("hospital", "los_sigma", "value"), 0.5))  # runs
@example(example=_scaled_example("wsic.toml", ("virtual_ward", "places", "value", 1), 0.0))  # runs, with a warning
@example(example=_scaled_example("baseline.toml", ("population", "total", "value"), 0.0))  # refused
def test_a_few_mutated_models_run_or_are_refused(tmp_path: Path, example) -> None:
    check_mutated(tmp_path, example)


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("WSIC_PROPERTY_EXAMPLES", "60")), **COMMON)
@given(example=mutated_models())
def test_mutated_models_run_or_are_refused(tmp_path: Path, example) -> None:
    check_mutated(tmp_path, example)
