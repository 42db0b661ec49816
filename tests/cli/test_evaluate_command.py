"""`wsic evaluate` refuses bad settings and files, one line per problem, and writes nothing then."""

from __future__ import annotations

from pathlib import Path

import wsic

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "experiments" / "pilots" / "frequent_admitters.toml"


def test_refusals(tmp_path, capsys):
    out = tmp_path / "o"
    assert wsic.main(["evaluate", str(tmp_path / "none.toml"), "--out", str(out)]) == 2
    assert "none.toml: cannot read file" in capsys.readouterr().err
    assert wsic.main(["evaluate", str(EXAMPLE), "--out", str(out), "--reps", "1"]) == 2
    assert "wsic evaluate: --reps must be at least 2" in capsys.readouterr().err
    assert wsic.main(["evaluate", str(EXAMPLE), "--out", str(out), "--jobs", "-3"]) == 2
    assert "wsic evaluate: --jobs must be a positive integer" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace("min_prior_admissions = 2", "min_prior_admissions = -2"))
    assert wsic.main(["evaluate", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: cohort.min_prior_admissions: Input should be greater than or equal to 0" in err
    assert not out.exists(), "a refused evaluation writes nothing"


def test_the_shipped_pilots_are_valid():
    from models.pilot import load_pilot

    for path in sorted((ROOT / "experiments" / "pilots").glob("*.toml")):
        loaded = load_pilot(path)
        assert loaded.years <= 5, path
