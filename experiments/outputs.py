"""A run's outputs beside its results: summary.csv, board.csv and report.html, from summaries that
are computed once from the results and handed to each file that shows them.

`wsic run` passes the results it holds in memory; `wsic report DIR` reads them back from DIR.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from experiments import breakeven, tornado
from experiments.economics import against_stated, board_figures
from experiments.files import write_csv
from experiments.report import ReportSections, build_report
from experiments.runner import ExperimentError
from experiments.summary import places_of_death, replication_table, summarise
from models.loader import load_model
from models.schema import CareModel

RUN_FILES = ("results.parquet", "manifest.json")


@dataclass(frozen=True)
class RunSummaries:
    """Everything the outputs show, computed from the results once."""

    replications: pd.DataFrame  # every measure per replication at each level (summary.replication_table)
    summary: pd.DataFrame  # summary.csv: intervals and paired differences (summary.summarise)
    board: pd.DataFrame  # board.csv: the headline figures (economics.board_figures)
    stated: pd.DataFrame  # stated.csv: a business case's own figures beside the scenarios' (economics.against_stated)
    places_of_death: pd.DataFrame  # each place's share of deaths per scenario (summary.places_of_death)


def summarise_run(results: pd.DataFrame, comparator: str, models: list[CareModel]) -> RunSummaries:
    """The replication table, the summary and the board's figures, each computed once."""
    table = replication_table(results)
    board = board_figures(results, comparator)
    claims = [against_stated(board, m.stated, m.meta.name) for m in models if m.stated is not None]
    stated = pd.concat(claims, ignore_index=True) if claims else pd.DataFrame()
    places = places_of_death(table, comparator)
    return RunSummaries(table, summarise(table, comparator), board, stated, places)


def read_analyses(out: Path) -> dict[str, pd.DataFrame]:
    """The break-even and tornado summaries written beside the run (`wsic breakeven`, `wsic tornado`)."""
    found = {}
    for name, file in (("breakeven", breakeven.FILE), ("tornado", tornado.FILE)):
        path = out / file
        if path.exists():
            try:
                found[name] = pd.read_csv(path)
            except (OSError, ValueError) as exc:
                raise ExperimentError(f"{path}: expected the summary `wsic {name}` writes ({exc})") from None
    return found


def write_outputs(out: Path, results: pd.DataFrame, manifest: dict, models: list[CareModel]) -> Path:
    """Write DIR/summary.csv, DIR/board.csv (and DIR/stated.csv) and DIR/report.html; return the
    report's path.

    models are the CareModels of manifest["models"], in order; the first scenario is the comparator.
    """
    summaries = summarise_run(results, manifest["models"][0]["scenario"], models)
    write_csv(summaries.summary, out / "summary.csv")
    write_csv(summaries.board, out / "board.csv")
    if not summaries.stated.empty:
        write_csv(summaries.stated, out / "stated.csv")
    sections = ReportSections(summaries.stated, places_of_death=summaries.places_of_death, **read_analyses(out))
    return build_report(
        out / "report.html", summaries.summary, summaries.board, summaries.replications, manifest, models, sections
    )


def read_run(out: Path) -> tuple[pd.DataFrame, dict, list[CareModel]]:
    """A finished run's results, manifest and models, read back from DIR; a directory that holds no
    finished run is refused naming the file and what was expected of it."""
    missing = [f for f in RUN_FILES if not (out / f).exists()]
    if missing:
        raise ExperimentError(f"{out} has no {' or '.join(missing)}; run `wsic run ... --out {out}` first")
    path = out / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExperimentError(f"{path}: expected the JSON manifest wsic run writes ({exc})") from None
    status = manifest.get("status") if isinstance(manifest, dict) else None
    if status != "complete":
        raise ExperimentError(
            f"{path}: status: expected complete (got {status}); rerun the same `wsic run` command to finish the run"
        )
    try:
        results = pd.read_parquet(out / "results.parquet")
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"{out / 'results.parquet'}: expected the results wsic run writes ({exc})") from None
    models = [recorded_model(m) for m in manifest["models"]]
    return results, manifest, models


def recorded_model(entry: dict) -> CareModel:
    """A run's model as the manifest recorded it (its file and every file it extends, by content),
    so the report shows what was run, wherever it is rebuilt from and whatever changed since."""
    chain = [entry, *entry.get("extends", [])]
    if any("content" not in src for src in chain):
        return load_model(entry["path"]).model  # a manifest without contents: the files as they are now
    with tempfile.TemporaryDirectory() as tmp:
        # deep enough that an `extends` climbing out of its folder stays inside the temporary one
        first = where = Path(tmp, *["m"] * 8, Path(entry["path"]).name)
        for src in chain:
            where.parent.mkdir(parents=True, exist_ok=True)
            where.write_text(src["content"], encoding="utf-8")
            parent = tomllib.loads(src["content"].removeprefix("\ufeff")).get("extends")
            if parent is None:
                break
            where = Path(os.path.normpath(where.parent / parent))
        return load_model(first).model


def rebuild_outputs(out: Path) -> Path:
    """`wsic report DIR`: the same outputs as `wsic run` writes, from the files the run left."""
    return write_outputs(out, *read_run(out))
