"""Whether a sample (--scale below 1) shows the whole system's service levels: the measures whose
bands issue 15 sets, computed per replication from the tidy results, and compared paired by seed
with full scale.

Each measure is a ratio of whole-population totals over the reported years, so it reads the same
at any scale; a band is in points (rates and shares) or relative (waits, admissions, costs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm import tqdm

from models.schema import CareModel
from models.vocabulary import TOP_STRATA
from sim.replication import run_replication


@dataclass(frozen=True)
class Band:
    measure: str
    label: str
    width: float
    kind: str  # "points": absolute difference of a share x 100; "relative": ratio - 1
    floor: float = 0.0  # a relative band is also met within this absolute difference (days)


# assumption: a wait within half a day of full scale's is met, as 15% of a wait near nothing is noise
WAIT_FLOOR_DAYS = 0.5

BANDS = (
    Band("rr_within_2h_rate", "rapid response within two hours", 3.0, "points"),
    Band("delayed_share", "delayed share of bed days", 1.0, "points"),
    Band("bed_occupancy", "bed occupancy", 2.0, "points"),
    Band("assessment_wait", "mean wait for a social-work assessment", 0.15, "relative", WAIT_FLOOR_DAYS),
    Band("package_wait", "mean wait for a package", 0.15, "relative", WAIT_FLOOR_DAYS),
    Band("placement_wait", "mean wait for a placement", 0.15, "relative", WAIT_FLOOR_DAYS),
    Band("admissions_per_head", "emergency admissions per head", 0.02, "relative"),
    Band("cost_per_head", "cost per head", 0.02, "relative"),
    *(Band(f"admissions_per_head_{s}", f"emergency admissions per head, {s}", 0.05, "relative") for s in TOP_STRATA),
    *(Band(f"cost_per_head_{s}", f"cost per head, {s}", 0.05, "relative") for s in TOP_STRATA),
    Band("ae_within_4h_rate", "A&E within four hours", 2.0, "points"),
)


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def service_levels(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (scale, replication): each band's measure over the reported years."""
    rows = []
    for (scale, rep), r in results.groupby(["scale", "replication"]):
        people = r[r.stratum != "all"]
        tot = people.groupby("measure").value.sum()
        by_stratum = people.groupby(["stratum", "measure"]).value.sum()
        whole = r[(r.stratum == "all") & (r.borough == "all")]
        system = whole.groupby("measure").value.mean()  # levels: the mean over years
        sums = whole.groupby("measure").value.sum()  # counts: over the years

        def t(m: str, tot: pd.Series = tot) -> float:
            return float(tot.get(m, 0.0))

        row = {
            "scale": float(scale),
            "replication": int(rep),
            "rr_within_2h_rate": _ratio(t("rr_within_2h"), t("rr_episodes")),
            "delayed_share": _ratio(t("excess_bed_days"), t("bed_days")),
            "bed_occupancy": _ratio(float(system.get("beds_occupied", 0)), float(system.get("beds_capacity", 0))),
            "assessment_wait": _ratio(t("assessment_wait_days"), t("sw_assessments")),
            "package_wait": _ratio(t("package_wait_days"), t("packages_started")),
            "placement_wait": _ratio(t("placement_wait_days"), t("care_home_admissions")),
            "admissions_per_head": _ratio(t("nel_admissions"), t("person_years")),
            "cost_per_head": _ratio(t("cost_total"), t("person_years")),
            # majors are counted per resident, minors for the whole system (sim/emergency_department.py)
            "ae_within_4h_rate": _ratio(
                t("ae_within_4h") + float(sums.get("ae_minor_within_4h", 0.0)),
                t("ae_attendances") - t("ae_minor") + float(sums.get("ae_minor_attendances_timed", 0.0)),
            ),
        }
        for s in TOP_STRATA:
            py = float(by_stratum.get((s, "person_years"), 0.0))
            row[f"admissions_per_head_{s}"] = _ratio(float(by_stratum.get((s, "nel_admissions"), 0.0)), py)
            row[f"cost_per_head_{s}"] = _ratio(float(by_stratum.get((s, "cost_total"), 0.0)), py)
        rows.append(row)
    return pd.DataFrame(rows)


def compare(levels: pd.DataFrame, full: float = 1.0) -> pd.DataFrame:
    """Each sample scale's mean against full scale's over the same replications, with its band
    and twice the standard error of the difference (the noise five replications leave)."""
    ref = levels[levels.scale == full].set_index("replication")
    out = []
    for scale, g in levels[levels.scale != full].groupby("scale"):
        g = g.set_index("replication")
        paired = g.index.intersection(ref.index)
        for band in BANDS:
            xs, ys = g.loc[paired, band.measure], ref.loc[paired, band.measure]
            a, b = float(xs.mean()), float(ys.mean())
            # the replications' own spread: a difference within two standard errors is noise
            se = float(np.sqrt(xs.var(ddof=1) / len(xs) + ys.var(ddof=1) / len(ys))) if len(paired) > 1 else np.nan
            if band.kind == "points":
                diff = (a - b) * 100.0
                ok = bool(abs(diff) <= band.width)
            else:
                diff = a / b - 1.0 if b else (0.0 if a == 0 else float("inf"))
                ok = bool(abs(diff) <= band.width or abs(a - b) <= band.floor)
            out.append(
                {
                    "scale": scale,
                    "measure": band.label,
                    "sample": a,
                    "full": b,
                    "difference": diff,
                    "band": band.width,
                    "kind": band.kind,
                    "within": ok,
                    "noise": 2 * se * (100.0 if band.kind == "points" else 1.0 / b if b else np.nan),
                }
            )
    return pd.DataFrame(out)


def describe(table: pd.DataFrame) -> str:
    """The comparison as text: one line a measure and scale."""
    lines = []
    for r in table.itertuples():
        if r.kind == "points":
            d = f"{r.difference:+.2f} points (band {r.band:g}, noise {r.noise:.2f})"
            v = f"{r.sample:.1%} vs {r.full:.1%}"
        else:
            d = f"{r.difference:+.1%} (band {r.band:.0%}, noise {r.noise:.0%})"
            v = f"{r.sample:,.4g} vs {r.full:,.4g}"
        lines.append(f"{r.scale:>6.3g}  {r.measure:48} {v:>24}  {d:>40}  {'ok' if r.within else 'OUT'}")
    return "\n".join(lines)


def check_problems(scales: list[float], reps: int, years: int, jobs: int) -> list[str]:
    """What is wrong with a scale check's settings, each named as the flag it came from."""
    out = []
    if not scales or any(not 0 < s < 1 for s in scales):
        out.append(f"--scales must each be in (0, 1): the samples compared with full scale (got {scales})")
    if reps < 2:
        out.append(f"--reps must be at least 2, so the noise between replications can be told (got {reps})")
    if years < 1:
        out.append(f"--years must be at least 1 (got {years})")
    if jobs == 0 or jobs < -1:
        out.append(f"--jobs must be a positive number of workers or -1 for all cores (got {jobs})")
    return out


def _levels(model: CareModel, scale: float, rep: int, seed: int, years: int) -> pd.DataFrame:
    return service_levels(run_replication(model, rep, seed, years, scale=scale).results)


def run_check(
    model: CareModel, scales: list[float], reps: int, years: int, seed: int, jobs: int, show_progress: bool = True
) -> pd.DataFrame:
    """Each scale's service levels, replication by replication, with full scale's on the same
    seeds; ``compare`` then sets them against each other."""
    tasks = [(s, r) for s in (*scales, 1.0) for r in range(reps)]
    done = Parallel(n_jobs=jobs, return_as="generator")(delayed(_levels)(model, s, r, seed, years) for s, r in tasks)
    frames = list(tqdm(done, total=len(tasks), unit="rep", desc="replications", disable=not show_progress))
    return pd.concat(frames, ignore_index=True)
