"""A run's outputs: the board's figures add up, and the report is self-contained and opens offline in
headless Chromium with every plot drawn and no errors.

The run behind them takes about 5 s, so the module is in the slow set; tests/cli/test_report.py
covers the same path on a smaller run in the quick loop."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import breakeven, tornado
from experiments.economics import board_figures, paired_yearly
from experiments.outputs import write_outputs
from experiments.runner import RunSpec, run_experiment
from models.loader import load_model
from tests.browser import assert_drawn

MODELS = Path(__file__).resolve().parents[2] / "models"

pytestmark = pytest.mark.slow


def _analyses(out: Path) -> None:
    """Break-even and tornado figures as their commands write them (their searches are tested in
    tests/cli/test_effect_search.py; here only the report's showing of them)."""
    settings = {"comparator": "baseline", "reps": 2, "years": 3, "scale": 0.02, "seed": 5}
    roots = pd.DataFrame(
        {
            "scenario": ["wsic"] * 2 + ["business_case"] * 2,
            "intervention": breakeven.ALL,
            "replication": [0, 1, 0, 1],
            "breakeven": [3.1, np.inf, 0.2, 0.3],
            "net_at_evidence_gbp": [-50e6, -60e6, 90e6, 100e6],
            "runs": 9,
        }
    )
    breakeven.save(out, roots, settings)
    ends = [
        {"scenario": "wsic", "intervention": name, "end": end, "replication": r, "net_gbp": net * 1e6}
        for name, fav, unfav in (("care_coordination", -50, -70), ("rapid_response", -58, -69))
        for end, net in (("favourable", fav), ("unfavourable", unfav))
        for r in range(2)
    ]
    ends += [
        {
            "scenario": "wsic",
            "intervention": tornado.SAMPLED,
            "end": tornado.SAMPLED,
            "replication": r,
            "net_gbp": -62e6,
        }
        for r in range(2)
    ]
    tornado.save(out, pd.DataFrame(ends), settings)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    models = [load_model(MODELS / f"{name}.toml") for name in ("baseline", "wsic", "business_case")]
    spec = RunSpec(reps=3, years=3, scale=0.02, seed=5, jobs=2)
    run = run_experiment(models, spec, out, show_progress=False)
    _analyses(out)
    write_outputs(out, run.results, run.manifest, [m.model for m in models])
    return out


def test_report_is_self_contained(run_dir):
    page = (run_dir / "report.html").read_text()
    assert "<script src=" not in page, "no external scripts"
    assert not re.search(r"<link[^>]+href=.https?:", page), "no external stylesheets"
    for section in (
        "Headline",
        "Year by year",
        "Where people die",
        "Where the savings come from",
        "Against the business case",
        "What would it take",
        "Which evidence matters most",
        "Workforce load and service levels",
        "Model assumptions",
        "Runs",
    ):
        assert section in page, section
    assert "3 replications" in page and "seed 5" in page
    assert "possible savings of 66m by Year Five" in page, "the business case's own figure, with its source"
    assert "3.1 times" in page and "50% of replications never" in page
    assert "tornado-0" in page


def test_report_renders_in_headless_chromium_offline(run_dir):
    assert_drawn(run_dir / "report.html", least_plots=12)


def test_board_figures_add_up(run_dir):
    results = pd.read_parquet(run_dir / "results.parquet")
    paired = paired_yearly(results)
    assert set(paired.scenario) == {"wsic", "business_case"}
    by_setting = paired[["savings_nel", "savings_other_hospital", "savings_ooh", "savings_sc"]].sum(axis=1)
    assert (by_setting - paired.gross_savings).abs().max() < 1e-3
    assert ((paired.savings_nhs + paired.savings_council) - paired.gross_savings).abs().max() < 1e-3
    assert ((paired.gross_savings - paired.investment) - paired.net_savings).abs().max() < 1e-6
    assert (paired[paired.year == 1].discount_factor == 1).all()
    assert paired[paired.year == 3].discount_factor.iat[0] == pytest.approx(1 / 1.035**2)
    assert (paired.investment > 0).all()
    board = board_figures(results)
    board = board[board.scenario == "wsic"].set_index("figure")
    assert board.loc["net savings", "mean"] == pytest.approx(
        board.loc["gross savings", "mean"] - board.loc["investment", "mean"], rel=1e-9, abs=1e-9
    )
    written = pd.read_csv(run_dir / "board.csv")
    assert set(written.figure) == set(board.index)
