"""`wsic evaluate`: a pilot's cohort chosen in the simulation as the pilot chose it, followed in two
arms on common random numbers (the pilot switched on, and the counterfactual with it off), and what
each evaluation design would have estimated against the truth.

Both arms share every random number, so each cohort member's admissions with and without the pilot
are known, and the truth is the difference in the same people. Per replication:
- the naive before/after change in the cohort (a pilot's own dashboard), and the change the
  counterfactual cohort shows anyway, in parts that add up to it: the cohort growing older, the
  population's trend and the cohort's having been chosen alive (all from age curves, see
  expected_changes), deaths and moves away (counting
  per person enrolled, where those who died or left count as no admissions, against per person
  alive and resident) and regression to the mean (the rest);
- matched controls: each cohort member's nearest not-enrolled resident who shares what the pilot
  file's [design] names exactly (by default prior admissions capped at 5, five-year age group,
  sex and place at the start, at home or not), by the model's risk score (a prognostic score of
  next year's use) within a caliper of 0.2 of its standard deviation over all residents by default
  (Austin P C (2011) Optimal caliper widths for propensity-score matching, Pharmaceutical
  Statistics 10(2):150-161, derived 0.2 for the logit of a propensity score; applying it to a
  prognostic score is an assumption), with replacement (the model's choice). English pilots are
  evaluated against matched controls so: Steventon A, Bardsley M,
  Billings J, Georghiou T, Lewis G H (2012) The role of matched controls in building an evidence
  base for hospital-avoidance schemes, Health Services Research 47(4):1679-1698 (prognostically
  matched controls, Nuffield Trust); Parry W, Wolters A T, Brine R J, Steventon A (2019) Effect of
  an integrated care pathway on use of primary and secondary healthcare by patients at high risk
  of emergency inpatient admission, BMJ Open 9:e026470 (controls matched on demographics,
  diagnoses, previous hospital use and risk score, Health Foundation);
- difference in differences against those controls;
- the cohort a pilot would need per arm to detect the true effect with 80% power at 5%.

Rates are emergency admissions per person a year, over the follow-up years, per person enrolled
(intention to treat) and per person alive at each year's start. Avoided admissions and A&E
attendances are the counterfactual's less the pilot's, per person enrolled a year.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm import tqdm

from experiments.files import write_json
from experiments.runner import ExperimentError, check_engine, versions
from models.pilot import Design, LoadedPilot, cohort_settings, pilot_arm
from sim.population import has_condition
from sim.replication import RESULTS_VERSION, run_replication
from sim.risk import top_risk

CAP = 5  # prior admissions matched exactly up to this many
CALIPER_SD = 0.2
MIN_MATCHED = 0.5  # assumption: matched designs are not given where under half the cohort finds a control
Z_POWER = 1.959964 + 0.841621  # two-sided 5% and 80% power
ROW_VERSION = 3  # what a replication's row holds; a resumed run's must match
OUTCOME = "nel_admissions"
ATTENDANCES = "ae_attendances"
CONDITIONS_CAP = 3  # long-term conditions matched exactly up to this many (with dementia and cancer)


class Use:
    """Each person's admissions (or another measure) and years alive at a year's start, by year,
    from one arm's log."""

    def __init__(self, log: pd.DataFrame, measure: str = OUTCOME):
        self.admissions = log.pivot_table(index="person", columns="year", values=measure, aggfunc="sum")
        self.alive = log.pivot_table(index="person", columns="year", values=measure, aggfunc="size")

    def _take(self, table: pd.DataFrame, people: np.ndarray, years: list[int]) -> np.ndarray:
        return table.reindex(index=people, columns=years).fillna(0.0).to_numpy().sum(axis=1)

    def per_person(self, people: np.ndarray, years: list[int]) -> np.ndarray:
        """Each person's admissions over the years, a year (people may repeat: matched with replacement)."""
        return self._take(self.admissions, people, years) / len(years)

    def rate(self, people: np.ndarray, years: list[int], per: str = "enrolled") -> float:
        """Admissions a person a year: per person enrolled, or per person alive at each year's start."""
        if len(people) == 0:
            return math.nan
        total = self._take(self.admissions, people, years).sum()
        if per == "enrolled":
            return float(total) / (len(people) * len(years))
        alive = self._take(self.alive, people, years).sum()
        return float(total / alive) if alive else math.nan


def in_area(start: pd.DataFrame, c) -> np.ndarray:
    """Who lives where the pilot ran (its boroughs and GP networks; everywhere if it names none)."""
    ok = np.ones(len(start), dtype=bool)
    if c.boroughs:
        ok &= start.borough.isin(c.boroughs).to_numpy()
    if c.networks:
        ok &= start.network.isin(c.networks).to_numpy()
    return ok


def select(loaded: LoadedPilot, arm: pd.DataFrame, rep: int) -> tuple[np.ndarray, pd.DataFrame]:
    """The people the pilot's rule chooses at its start (alive then, their prior year's use), and
    the start year's rows of everyone it could have chosen among (for controls)."""
    c = loaded.pilot.cohort
    start = arm[arm.year == c.start_year].set_index("person")
    prior = arm[arm.year == c.start_year - 1].set_index("person")[OUTCOME]
    start = start.assign(prior=prior.reindex(start.index).fillna(0.0).to_numpy())
    ok = ((start.age >= c.min_age) & (start.age <= c.max_age)).to_numpy() & in_area(start, c)
    if c.strata:
        ok &= start.stratum.isin(c.strata).to_numpy()
    if c.top_risk_share is not None:
        ok &= top_risk(start.risk_score.to_numpy(), np.ones(len(start), dtype=bool), c.top_risk_share)
    if c.conditions:
        flags = [start[k].to_numpy() for k in ("ltc", "dementia", "cancer", "learning_disability", "smi")]
        ok &= np.logical_or.reduce([has_condition(name, *flags) for name in c.conditions])
    ok &= (start.prior >= c.min_prior_admissions).to_numpy()
    settings = cohort_settings(loaded)
    if settings is not None:  # where they live at the start, as the interventions enrol
        ok &= (start.at_home.to_numpy() & ("home" in settings)) | (
            start.in_care_home.to_numpy() & ("care_home" in settings)
        )
    chosen = start.index[ok].to_numpy()
    if c.random_share is not None:
        rng = np.random.default_rng([loaded.pilot.run.seed, rep, 1_000_003])
        chosen = chosen[rng.random(chosen.size) < c.random_share]
    return np.sort(chosen), start


def _match_keys(start: pd.DataFrame, design: Design) -> pd.DataFrame:
    """The columns a control must share exactly with its cohort member."""
    keys = {
        "prior_admissions": lambda: np.minimum(start.prior, CAP),
        "age_band": lambda: (start.age // 5).astype(int),
        "sex": lambda: start.female.astype(int),
        "at_home": lambda: start.at_home.astype(int),
        "conditions": lambda: np.minimum(start.ltc, CONDITIONS_CAP) * 4 + start.dementia * 2 + start.cancer,
        "borough": lambda: start.borough.cat.codes,
    }
    return pd.DataFrame({k: np.asarray(keys[k]()) for k in design.match_exactly}, index=start.index)


def matched_pairs(
    start: pd.DataFrame, cohort: np.ndarray, exclude: np.ndarray, design: Design
) -> tuple[np.ndarray, np.ndarray]:
    """Each cohort member that finds one, and its nearest control (see the module's note)."""
    keys = _match_keys(start, design)
    frame = keys.assign(risk_score=start.risk_score.to_numpy())
    pool = frame[~frame.index.isin(exclude)]
    treated = frame.loc[frame.index.isin(cohort)]
    caliper = design.caliper_sd * float(start.risk_score.std() or 1.0)
    by = list(keys.columns)
    pools = dict(iter(pool.groupby(by))) if by else {(): pool}
    members, out = [], []
    for key, group in treated.groupby(by) if by else [((), treated)]:
        candidates = pools.get(key)
        if candidates is None or candidates.empty:
            continue
        candidates = candidates.sort_values("risk_score", kind="stable")
        scores = candidates.risk_score.to_numpy()
        at = np.clip(np.searchsorted(scores, group.risk_score.to_numpy()), 1, max(1, scores.size - 1))
        left, right = np.clip(at - 1, 0, scores.size - 1), np.clip(at, 0, scores.size - 1)
        x = group.risk_score.to_numpy()
        best = np.where(np.abs(scores[left] - x) <= np.abs(scores[right] - x), left, right)
        keep = np.abs(scores[best] - x) <= caliper
        members.append(group.index.to_numpy()[keep])
        out.append(candidates.index.to_numpy()[best[keep]])
    if not out:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    return np.concatenate(members), np.concatenate(out)


def matched_controls(start: pd.DataFrame, cohort: np.ndarray, exclude: np.ndarray, design: Design) -> np.ndarray:
    """Each cohort member's nearest control, with replacement; unmatched members have none."""
    return matched_pairs(start, cohort, exclude, design)[1]


def expected_changes(log: pd.DataFrame, cohort: np.ndarray, c, before: int, follow: list[int]) -> dict[str, float]:
    """What the cohort's rate would do were it no different from others of its ages, in parts.
    Each year's age curve is the admissions per person alive at the year's start by five-year band
    among everyone then in the pilot's area (an open population: the dying and newcomers in it).
    - ageing: the before year's curve at the ages the members reach, against at their ages before;
    - trend: each follow year's curve against the before year's, at those ages;
    - survival: the cohort was chosen alive, so its before year holds no one's last year of life;
      the before year's curve among those alive at the start year against among everyone."""
    rows = log[in_area(log, c)]
    band = (rows.age // 5).astype(int)
    curves = rows.groupby([rows.year, band])[OUTCOME].mean()
    then = rows[rows.year == before]
    alive_after = then.person.isin(log.person[log.year == before + 1])
    survivors = then[alive_after].groupby((then.age[alive_after] // 5).astype(int))[OUTCOME].mean()
    mine = log[log.person.isin(cohort)]
    mine = mine.assign(band=(mine.age // 5).astype(int))

    def expected(years: list[int], curve_year: int | None, curve: pd.Series = curves) -> float:
        """The mean curve value over the members' rows of these years (each year's own curve, or one)."""
        r = mine[mine.year.isin(years)]
        if curve is curves:
            at = [(curve_year if curve_year is not None else y, b) for y, b in zip(r.year, r.band, strict=True)]
        else:
            at = r.band.to_numpy()
        values = curve.reindex(at).to_numpy(dtype=float)
        return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan

    e0, e1, e2 = expected([before], before), expected(follow, before), expected(follow, None)
    e0_alive = expected([before], None, survivors)
    return {
        "ageing": e1 / e0 - 1.0 if e0 else math.nan,
        "trend": e2 / e1 - 1.0 if e1 else math.nan,
        "survival": e0 / e0_alive - 1.0 if e0_alive else math.nan,
    }


def estimates(loaded: LoadedPilot, pilot_log: pd.DataFrame, cf_log: pd.DataFrame, rep: int) -> dict:
    """One replication's estimates and trajectories (see the module's note)."""
    c = loaded.pilot.cohort
    chosen, start = select(loaded, cf_log, rep)
    if loaded.pilot.received.interventions:  # the chosen who were enrolled at any time in the start year
        enrolled = pilot_log[(pilot_log.year == c.start_year) & pilot_log.enrolled].person.to_numpy()
        cohort = np.intersect1d(chosen, enrolled)
    else:
        cohort = chosen
    before, follow = c.start_year - 1, list(range(c.start_year, c.start_year + c.follow_years))
    n = len(cohort)
    if n < 2:
        raise ExperimentError(f"replication {rep}: the cohort has {n} member(s) in the simulation; widen the rule")
    controls, matched_share = _controls(loaded, start, cohort, pilot_log)
    pilot, cf = Use(pilot_log), Use(cf_log)
    pilot_ae, cf_ae = Use(pilot_log, ATTENDANCES), Use(cf_log, ATTENDANCES)
    b = cf.rate(cohort, [before], "alive")  # the before year: the same in both arms
    after = {
        (arm, per): use.rate(cohort, follow, per)
        for arm, use in (("pilot", pilot), ("cf", cf))
        for per in ("enrolled", "alive")
    }
    ctrl_b, ctrl_a = pilot.rate(controls, [before], "alive"), pilot.rate(controls, follow)
    population = start.index[in_area(start, c) & (start.age >= c.min_age) & (start.age <= c.max_age)].to_numpy()
    expect = expected_changes(cf_log, cohort, c, before, follow)
    grown, trend, survival = expect["ageing"], expect["trend"], expect["survival"]
    cf_enrolled, cf_alive = after[("cf", "enrolled")] / b - 1.0, after[("cf", "alive")] / b - 1.0
    delta = after[("cf", "enrolled")] - after[("pilot", "enrolled")]
    variance = float(np.var(cf.per_person(cohort, follow), ddof=1)) if n > 1 else math.nan
    row = {
        "replication": rep,
        "cohort_size": n / float(cf_log.scale.iat[0]),
        "chosen_size": len(chosen) / float(cf_log.scale.iat[0]),  # by the rule, before uptake and staff
        "cohort_sampled": n,
        "controls_matched_share": matched_share,
        "before_rate": b,
        "naive": after[("pilot", "enrolled")] / b - 1.0,
        "naive_per_alive": after[("pilot", "alive")] / b - 1.0,
        "counterfactual_change": cf_enrolled,
        "counterfactual_change_per_alive": cf_alive,
        "trend": trend,
        "ageing": grown,
        "survival": survival,
        "deaths": cf_enrolled - cf_alive,
        "regression_to_the_mean": cf_alive - trend - grown - survival,
        "true_effect": after[("pilot", "enrolled")] / after[("cf", "enrolled")] - 1.0,
        "matched": after[("pilot", "enrolled")] / ctrl_a - 1.0 if ctrl_a else math.nan,
        "difference_in_differences": (after[("pilot", "enrolled")] / b) / (ctrl_a / ctrl_b) - 1.0
        if ctrl_a and ctrl_b
        else math.nan,
        "cohort_for_80_power": 2 * Z_POWER**2 * variance / delta**2 if delta else math.inf,
        "outcome_variance": variance,  # of a member's admissions a year without the pilot
        "admissions_avoided_per_person_year": delta,
        "attendances_avoided_per_person_year": cf_ae.rate(cohort, follow) - pilot_ae.rate(cohort, follow),
        "attendances_true_effect": pilot_ae.rate(cohort, follow) / cf_ae.rate(cohort, follow) - 1.0
        if cf_ae.rate(cohort, follow)
        else math.nan,
    }
    return row | _trajectories(pilot, cf, cohort, controls, population, [before, *follow])


def _controls(
    loaded: LoadedPilot, start: pd.DataFrame, cohort: np.ndarray, pilot_log: pd.DataFrame
) -> tuple[np.ndarray, float]:
    """Matched controls from those never enrolled, and the share of the cohort that found one;
    none where under MIN_MATCHED did (too few alike outside the cohort: no design to estimate)."""
    not_enrolled = np.union1d(cohort, pilot_log[pilot_log.enrolled].person.unique())
    controls = matched_controls(start, cohort, not_enrolled, loaded.pilot.design)
    share = len(controls) / len(cohort) if len(cohort) else math.nan
    return (controls if share >= MIN_MATCHED else np.array([], dtype=np.int64)), share


def _trajectories(pilot: Use, cf: Use, cohort: np.ndarray, controls: np.ndarray, population: np.ndarray, years):
    """Each year's rates for the cohort in both arms and the controls, and the cohort's share of
    the admissions of everyone of its ages (Roland et al.'s measure)."""
    row = {}
    for y in years:
        row[f"cohort_pilot_{y}"] = pilot.rate(cohort, [y])
        row[f"cohort_counterfactual_{y}"] = cf.rate(cohort, [y])
        row[f"controls_{y}"] = pilot.rate(controls, [y])
        everyone = cf.rate(population, [y]) * len(population)
        row[f"cohort_share_{y}"] = cf.rate(cohort, [y]) * len(cohort) / everyone if everyone else math.nan
    return row


def _one(loaded: LoadedPilot, rep: int) -> dict:
    r, years = loaded.pilot.run, loaded.years
    cf = run_replication(
        loaded.counterfactual.model, rep, r.seed, years, r.scale, scenario="counterfactual", person_log=True
    )
    if loaded.pilot.received.interventions:
        pilot = run_replication(pilot_arm(loaded), rep, r.seed, years, r.scale, scenario="pilot", person_log=True)
        return estimates(loaded, pilot.persons, cf.persons, rep)
    return estimates(loaded, cf.persons, cf.persons, rep)


def rep_file(out: Path, rep: int) -> Path:
    return out / "replications" / f"rep_{rep:04d}.json"


def _files(loaded: LoadedPilot) -> list[list[str]]:
    """Every model file the evaluation reads (and all they extend): a resumed run finds them unchanged."""
    models = [loaded.counterfactual] + ([loaded.library] if loaded.library is not None else [])
    return [[str(f.path), f.sha256] for m in models for f in m.sources]


def _check_resume(out: Path, loaded: LoadedPilot) -> None:
    previous = out / "manifest.json"
    if previous.exists() and not any((out / "replications").glob("rep_*.json")):
        return  # a run that saved nothing (stopped, or refused mid-way) holds nothing to keep
    if previous.exists():
        old = json.loads(previous.read_text())
        if old.get("pilot", {}).get("sha256") != loaded.sha256 or old.get("model_files") != _files(loaded):
            raise ExperimentError(f"{out} holds an evaluation of another pilot file or model; use a new --out")
        if old.get("row_version") != ROW_VERSION:
            raise ExperimentError(f"{out} holds replications of an earlier version of the evaluator; use a new --out")
        check_engine(out, old)
    elif (out / "replications").exists():
        raise ExperimentError(f"{out} holds replications but no manifest.json; use a new --out")


def run_evaluation(
    loaded: LoadedPilot, reps: int, out: Path, jobs: int = 1, argv: list[str] | None = None, show_progress: bool = False
) -> pd.DataFrame:
    """Every replication not yet done (each saved as it lands), then all of them, one row each."""
    _check_resume(out, loaded)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "command": argv or [],
        "pilot": {"path": str(loaded.path), "sha256": loaded.sha256, "content": loaded.text},
        "counterfactual": {"path": str(loaded.counterfactual.path), "sha256": loaded.counterfactual.sha256},
        "library": None
        if loaded.library is None
        else {"path": str(loaded.library.path), "sha256": loaded.library.sha256},
        "model_files": _files(loaded),
        "row_version": ROW_VERSION,
        "results_version": RESULTS_VERSION,
        "reps": reps,
        "versions": versions(),
    }
    write_json(manifest | {"status": "running"}, out / "manifest.json")
    todo = [r for r in range(reps) if not rep_file(out, r).exists()]
    done = Parallel(n_jobs=jobs, return_as="generator_unordered")(delayed(_one)(loaded, r) for r in todo)
    for row in tqdm(done, total=len(todo), unit="rep", desc="replications", disable=not show_progress):
        write_json(row, rep_file(out, int(row["replication"])))
    write_json(manifest | {"status": "complete"}, out / "manifest.json")
    rows = [json.loads(rep_file(out, r).read_text()) for r in range(reps)]
    return pd.DataFrame(rows).sort_values("replication").reset_index(drop=True)
