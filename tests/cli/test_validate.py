"""`wsic validate` accepts a good model file and rejects bad ones with exit code 2, one problem per
line on stderr (`FILE: key.path: what was expected`), no traceback.

Most tests call ``wsic.main`` in-process; the subprocess tests check what a user actually sees.
"""

from __future__ import annotations

import pytest

import wsic
from tests.cli.model_files import (
    BASELINE,
    BASELINE_TEXT,
    bad_model,
    edited,
    stderr_lines,
    write,
    wsic_in_a_subprocess,
)


def test_validate_accepts_the_baseline(capsys):
    assert wsic.main(["validate", str(BASELINE)]) == 0
    out, err = capsys.readouterr()
    assert f"{BASELINE}: valid (baseline" in out
    assert err == ""


def test_validate_bad_model_exits_2_with_one_line_per_problem(tmp_path, capsys):
    path = bad_model(tmp_path)
    assert wsic.main(["validate", str(path)]) == wsic.EXIT_BAD_INPUT == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = stderr_lines(err)
    assert len(lines) == 2, lines
    assert any(line.startswith(f"{path}: hospital.beds.value: ") for line in lines)
    assert any(line.startswith(f"{path}: access_point.p_advice.value: ") for line in lines)


def test_validate_reports_every_bad_file_and_passes_over_good_ones(tmp_path, capsys):
    first = bad_model(tmp_path, "first.toml")
    text = edited(
        'payer = "council", source = "assumption" }\ncosted = "activity"\ntasks = ["assessment"]',
        'payer = "insurer", source = "assumption" }\ncosted = "activity"\ntasks = ["assessment"]',
    )
    second = write(tmp_path, text, "second.toml")
    missing = tmp_path / "missing.toml"
    code = wsic.main(["validate", str(first), str(BASELINE), str(second), str(missing)])
    assert code == 2
    out, err = capsys.readouterr()
    lines = stderr_lines(err)
    assert len(lines) == 4, lines
    assert sum(line.startswith(f"{first}: ") for line in lines) == 2
    assert any(line.startswith(f"{second}: workforce.social_worker.cost_per_fte.payer: ") for line in lines)
    assert any(line.startswith(f"{missing}: ") and "cannot read file" in line for line in lines)
    assert "valid" not in out


def test_validate_missing_file_is_one_line(tmp_path, capsys):
    missing = tmp_path / "nowhere.toml"
    assert wsic.main(["validate", str(missing)]) == 2
    lines = stderr_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert lines[0].startswith(f"{missing}: ")


def test_validate_unparsable_file_names_the_line(tmp_path, capsys):
    lines = BASELINE_TEXT.splitlines()
    number = lines.index("[hospital]") + 1
    lines[number - 1] = "[hospital"
    path = write(tmp_path, "\n".join(lines) + "\n")
    assert wsic.main(["validate", str(path)]) == 2
    (line,) = stderr_lines(capsys.readouterr().err)
    assert line.startswith(f"{path}: ")
    assert f"at line {number}," in line


def test_validate_needs_a_model(capsys):
    with pytest.raises(SystemExit) as info:
        wsic.main(["validate"])
    assert info.value.code == 2
    assert "MODEL.toml" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["bad values", "not TOML", "missing file"])
def test_validate_in_a_subprocess_shows_no_traceback(tmp_path, kind):
    if kind == "bad values":
        path = bad_model(tmp_path)
    elif kind == "not TOML":
        path = write(tmp_path, BASELINE_TEXT.replace("[hospital]", "[hospital"))
    else:
        path = tmp_path / "missing.toml"
    proc = wsic_in_a_subprocess("validate", str(path))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = stderr_lines(proc.stderr)
    assert lines
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    assert len(lines) == (2 if kind == "bad values" else 1)
