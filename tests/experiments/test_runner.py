"""The runner: any backend gives the same numbers, interrupted runs resume, precision adds
replications, and common random numbers narrow the interval of a difference."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from experiments.files import write_json
from experiments.runner import (
    ExperimentError,
    ExperimentRun,
    RunSpec,
    _check_resume,
    _manifest,
    rep_path,
    run_experiment,
)
from experiments.summary import replication_table, summarise
from models.loader import load_model
from sim.replication import RESULTS_VERSION

MODELS = Path(__file__).resolve().parents[2] / "models"
KEY = ["scenario", "replication", "year", "borough", "stratum", "intervention", "measure"]


@pytest.fixture(scope="module")
def models():
    return [load_model(MODELS / "baseline.toml"), load_model(MODELS / "wsic.toml")]


def spec(**kw) -> RunSpec:
    base = {"reps": 2, "years": 1, "scale": 0.01, "seed": 3, "jobs": 2}
    return RunSpec(**{**base, **kw})


def sorted_results(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "results.parquet").sort_values(KEY).reset_index(drop=True)


@pytest.fixture(scope="module")
def local_run(models, tmp_path_factory) -> tuple[Path, ExperimentRun]:
    out = tmp_path_factory.mktemp("local")
    return out, run_experiment(models, spec(), out, show_progress=False)


@pytest.fixture(scope="module")
def local(local_run) -> Path:
    return local_run[0]


def test_the_run_hands_back_the_results_and_manifest_it_wrote(local_run):
    """So that the summaries and the report need not read results.parquet back."""
    out, run = local_run
    pd.testing.assert_frame_equal(run.results, pd.read_parquet(out / "results.parquet"))
    assert run.manifest == json.loads((out / "manifest.json").read_text())
    assert run.manifest["status"] == "complete"


def test_each_replication_is_its_own_file(local):
    for scenario in ("baseline", "wsic"):
        for r in range(2):
            assert rep_path(local, scenario, r).exists()
            assert json.loads(rep_path(local, scenario, r, "stats").read_text())["wall_seconds"] > 0
    manifest = json.loads((local / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert [m["scenario"] for m in manifest["models"]] == ["baseline", "wsic"]
    assert manifest["models"][1]["extends"][0]["path"].endswith("baseline.toml")
    assert len(manifest["replications"]) == 4


@pytest.mark.slow
def test_dask_cluster_gives_the_local_numbers(models, local, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        out = tmp_path / "dask"
        run_experiment(models, spec(backend="dask", scheduler=cluster.scheduler_address), out, show_progress=False)
    pd.testing.assert_frame_equal(sorted_results(out), sorted_results(local))


@pytest.mark.slow
def test_an_unreachable_scheduler_is_reported(models, tmp_path):
    with pytest.raises(ExperimentError, match="cannot reach the dask scheduler"):
        run_experiment(models, spec(backend="dask", scheduler="tcp://127.0.0.1:9"), tmp_path / "x", show_progress=False)


@pytest.mark.slow
def test_rerun_finishes_only_what_is_missing(models, local, tmp_path):
    out = tmp_path / "resume"
    run_experiment(models, spec(), out, show_progress=False)
    kept = rep_path(out, "baseline", 0)
    stamp = kept.stat().st_mtime_ns
    rep_path(out, "wsic", 1).unlink()  # as if interrupted before this replication finished
    (out / "results.parquet").unlink()
    run_experiment(models, spec(), out, show_progress=False)
    assert kept.stat().st_mtime_ns == stamp, "a finished replication is not run again"
    assert rep_path(out, "wsic", 1).exists()
    pd.testing.assert_frame_equal(sorted_results(out), sorted_results(local))


def test_rerun_with_other_inputs_is_refused(models, local):
    with pytest.raises(ExperimentError, match="other model files or settings"):
        run_experiment(models, spec(seed=99), local, show_progress=False)


def _stacked(tmp_path: Path, note: str):
    """A model extending a middle file that extends the shipped baseline."""
    (tmp_path / "middle.toml").write_text(f'# {note}\nextends = "{MODELS / "baseline.toml"}"\n')
    (tmp_path / "top.toml").write_text('extends = "middle.toml"\n')
    return load_model(tmp_path / "top.toml")


def test_resume_refuses_a_run_whose_extended_file_changed(tmp_path):
    """The top file is unchanged, but what it extends is not: its results would be another model's."""
    out = tmp_path / "out"
    out.mkdir()
    before = _stacked(tmp_path, "first")
    write_json(_manifest([before], ["top"], spec(), None), out / "manifest.json")
    _check_resume(out, [_stacked(tmp_path, "first")], spec())  # unchanged: resumes
    with pytest.raises(ExperimentError, match="a file a model extends included"):
        _check_resume(out, [_stacked(tmp_path, "second")], spec())


def test_resume_refuses_replications_of_another_engine(models, tmp_path):
    """Replications of an earlier engine (another RESULTS_VERSION) are not mixed with this one's."""
    out = tmp_path / "out"
    out.mkdir()
    manifest = _manifest(models, ["baseline", "wsic"], spec(), None)
    assert manifest["results_version"] == RESULTS_VERSION
    write_json(manifest, out / "manifest.json")
    _check_resume(out, models, spec())
    for earlier in ({"results_version": RESULTS_VERSION - 1}, {"results_version": None}):
        write_json(manifest | earlier, out / "manifest.json")
        with pytest.raises(ExperimentError, match="another engine"):
            _check_resume(out, models, spec())


@pytest.mark.slow
def test_precision_adds_replications_until_reached_or_capped(models, tmp_path):
    loose = run_experiment(
        models[:1], spec(reps=2, precision=0.5, max_reps=10), tmp_path / "loose", show_progress=False
    ).manifest
    assert loose["precision"]["reached"] and loose["reps"] >= 3
    tight = run_experiment(
        models[:1], spec(reps=2, precision=1e-6, max_reps=5), tmp_path / "tight", show_progress=False
    ).manifest
    assert not tight["precision"]["reached"]
    assert tight["reps"] == 5
    assert pd.read_parquet(tmp_path / "tight" / "results.parquet").replication.nunique() == 5


# at 0.02 common random numbers narrowed the interval only to 0.71 of independent seeds' (a 2%
# sample runs congested, README: Scale, and a queue's divergence between the arms spreads)
SCALE_CRN = 0.05


@pytest.mark.slow  # 24 replications: about 30 s on a quiet machine
def test_common_random_numbers_narrow_the_interval_of_the_difference(models, tmp_path):
    # a fixed effect, so the difference has no parameter uncertainty that common numbers cannot remove
    variant = tmp_path / "fewer_crises.toml"
    cost = '{ value = 0, unit = "GBP", payer = "NHS", source = "test" }'
    variant.write_text(
        f'extends = "{MODELS / "baseline.toml"}"\n'
        '[meta]\nname = "fewer_crises"\ndescription = "test"\nprice_year = "2010/11"\n'
        "[interventions.fewer_crises]\n"
        'description = "test"\ncomponent = "test"\n'
        'eligibility = { strata = ["very_high", "high", "moderate"] }\n'
        'uptake = { value = 1.0, unit = "share", source = "test" }\nstart_year = 1\nramp_years = 0\n'
        'mechanisms = [ { kind = "hazard", target = "crisis", effect = { distribution = "fixed", value = 0.9, '
        'unit = "multiplier", source = "test" } } ]\n'
        f"costs = {{ set_up = {cost}, per_year = {cost}, per_person = {cost} }}\n"
        'evidence = "test"\nevidence_strength = "assumption"\n'
    )
    pair = [models[0], load_model(variant)]
    widths = {}
    for crn in (True, False):
        out = tmp_path / f"crn_{crn}"
        run_experiment(pair, spec(reps=6, scale=SCALE_CRN, common_random_numbers=crn), out, show_progress=False)
        s = summarise(replication_table(pd.read_parquet(out / "results.parquet")), "baseline")
        row = s[
            (s.scenario == "fewer_crises")
            & (s.measure == "nel_admissions")
            & (s.year == "total")
            & (s.borough == "all")
            & (s.stratum == "all")
            & (s.intervention == "all")
        ].iloc[0]
        widths[crn] = row.diff_ci_high - row.diff_ci_low
    assert widths[True] < 0.5 * widths[False], widths


def test_summary_intervals_and_paired_differences(local):
    s = summarise(replication_table(pd.read_parquet(local / "results.parquet")), "baseline")
    row = s[
        (s.scenario == "wsic")
        & (s.measure == "cost_total")
        & (s.year == "1")
        & (s.borough == "all")
        & (s.stratum == "all")
        & (s.intervention == "all")
    ].iloc[0]
    assert row.n == 2 and row.ci_low < row["mean"] < row.ci_high
    r = pd.read_parquet(local / "results.parquet")
    people = r[(r.stratum != "all") & (r.intervention == "all") & (r.measure == "cost_total")]
    per = people.groupby(["scenario", "replication"]).value.sum().unstack("scenario")
    assert row["mean"] == pytest.approx(per["wsic"].mean())
    assert row.diff_mean == pytest.approx((per["wsic"] - per["baseline"]).mean())
    base = s[(s.scenario == "baseline")]
    assert base.diff_mean.isna().all(), "the comparator has no difference with itself"
