"""`wsic size` refuses bad settings and files with one line per problem, and a small sweep writes
its curves, answers and a page that opens offline in headless Chromium with every plot drawn."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import wsic
from tests.browser import assert_drawn

ROOT = Path(__file__).resolve().parents[2]

SMALL = f"""
[meta]
name = "small"
description = "a small sweep"

[run]
model = "{ROOT / "models" / "wsic.toml"}"
years = 1
scale = 0.02
seed = 2
first_reps = 2
max_reps = 2

[[roles]]
role = "rapid_response_nurse"
fte = [6, 12, 18]

[[roles]]
role = "social_worker"
boroughs = ["westminster"]
fte = [4, 9]

[[service_levels]]
measure = "rr_within_2h_rate"
role = "rapid_response_nurse"
at_least = 0.9

[[service_levels]]
measure = "assessment_wait_days"
role = "social_worker"
at_most = 2

[grid]
roles = ["rapid_response_nurse", "social_worker"]
fte = [[6, 18], [4, 9]]
measure = "delayed_share"
"""


def test_refusals(tmp_path, capsys):
    assert wsic.main(["size", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "none.toml: cannot read file" in capsys.readouterr().err
    good = tmp_path / "s.toml"
    good.write_text(SMALL)
    assert wsic.main(["size", str(good), "--out", str(tmp_path / "o"), "--jobs", "0"]) == 2
    assert "wsic size: --jobs must be a positive integer" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert wsic.main(["size", str(good), "--out", str(tmp_path / "file")]) == 2
    assert "--out must be a directory" in capsys.readouterr().err
    assert wsic.main(["size", str(good), "--out", str(tmp_path / "o"), "--backend", "dask"]) == 2
    assert "--backend dask needs --scheduler" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.replace('measure = "delayed_share"', 'measure = "happiness"'))
    assert wsic.main(["size", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: grid.measure: Input should be" in err
    assert not (tmp_path / "o").exists(), "a refused run writes nothing"


@pytest.mark.slow
def test_a_small_sweep_writes_its_answer_and_page(tmp_path, capsys):
    sizing = tmp_path / "s.toml"
    sizing.write_text(SMALL)
    out = tmp_path / "out"
    assert wsic.main(["size", str(sizing), "--out", str(out), "--jobs", "2", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "least FTE meeting every level" in printed and "Written:" in printed
    for name in ("sizing.csv", "sizing_answers.csv", "sizing_grid.csv", "sizing.html", "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    ans = pd.read_csv(out / "sizing_answers.csv")
    assert set(zip(ans.role, ans.borough, strict=True)) == {
        ("rapid_response_nurse", b) for b in ("hammersmith_fulham", "kensington_chelsea", "westminster")
    } | {("social_worker", "westminster")}
    grid = pd.read_csv(out / "sizing_grid.csv")
    assert len(grid) == 4 * 3 and set(grid.measure) == {"delayed_share"}
    # 3 sweep levels, each a service level and a cost curve per borough; 2 levels of one borough; 3 contours
    assert_drawn(out / "sizing.html", least_plots=3 + 1 + 3)
    page = (out / "sizing.html").read_text(encoding="utf-8")
    assert "The answer" in page and "queueing theory" in page
