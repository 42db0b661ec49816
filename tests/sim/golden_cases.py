"""Fixed-seed outputs that a change of structure must leave identical.

``python -m tests.sim.golden_cases`` records them into tests/sim/golden/: each case's tidy results
in full (parquet) and digests of its event and person logs. The committed files were recorded
first from commit 491f669, before the replication was split into parts, and re-recorded when a
sample's capacity became full size, loaded with the rest of the population's demand
(sim/sample_load.py: every case here is a sample, and full-population results were unchanged by
it), and again when each resident's random numbers became their own (sim/row_draws.py: fixed
columns per row and keyed draws, so a year does not depend on the horizon), and when death became
each resident's own hazard and a care home place followed a need for 24-hour care, and when
births and moves in and out came in (sim/demography.py), and when emergency spells were paid
by the tariff and GP and nursing contacts followed their supply, and when conditions and dementia
were graded by age within each band and each band's death rate held to its rate every year (and
the refit that followed), and when several interventions' effects on one target were held within
the strongest one's range (sim/interventions.py), and when the intervention library's effects were
set to span their evidence, harm included, a diverted crisis's severity came to matter, and the
results gained the commissioned places, the costs by kind and bed days at cost (business as
usual's earlier measures unchanged), and when, at a sample, A&E's clinicians came to see the rest
of the population as the rest take a cubicle (sim/rest_of_population.py ``Rota.feed``), not at
requests of their own, and on 2026-12-03 for an install (numpy 2.4.6, pandas 3.1.1) under which
three event logs' digests and the results' last bits moved with no change to the code, and on
2026-12-05 when the digests came to take floats at ten significant digits (the same install gave
other last bits on a processor with AVX-512 than on the one that recorded them), and when, at a
sample, the rest of the population's care home places came to end at the sample's recent hazard
and its waiting to give up at the sample's recent rate, those still waiting counted (every case moved),
and when an intervention no workforce caps came to count its enrolments (WSIC's cases' measures
``enrolments`` and ``mean_wait_to_enrol_days``; nothing else moved), and when business as usual
was refitted for persistence and five years' stationarity (the sixth refit: frequent attenders,
frailty and shock persistence 0.8 and 0.3, every fitted value moved), and when, at a sample,
the rest's requests for care home places came to follow the needs for 24-hour care the sample
was expected to have (from the start, not the places' turnover), split by each kind's chance, and
their places to end at the holders' mean death hazard (sim/social_care.py ``rest_as_expected``;
every case moved), and when business as usual was refitted with planned care following frailty
and the score banding planned use (the twelfth refit; every case moved), and when the results
gained each death's place (rows ``deaths_<place>`` for every place and borough each year, zero
where none died; every earlier row unchanged to the last digit, so RESULTS_VERSION stayed), and
when business as usual was refitted with other community contacts after elective admissions (the
thirteenth refit; every case moved), and when the under-65s' crises came to follow their leaf's
need in the fourteenth refit (every case moved), and when, at a sample, the rest's care home places
came to end at the mean death hazard of either kind's holders and the rest to ask for places
only as the sample does (every case is a sample, so every case moved), and when their places
came to end at each kind's own holders' hazard again and the rest's first requests to be counted
over a week at least (every case moved), and when the starting packages of home care came to go to
adults of any age in proportion to the stock the model's own flows hold (they went to those 65+
only, in proportion to the referral hazard; sim/initial_state.py), with the under-65s' discharge shares
of a package and reablement cut to 0.7 and business as usual refitted (the fifteenth refit; every
case moved), and when business as usual was refitted at full population aimed within half of each
band (the sixteenth refit; every case moved, the engine did not), and when it was refitted
from there at a quarter on sixteen seeds (the seventeenth refit; every case moved, the engine
did not), and when long-term conditions came at incidences that hold each age band's mean, the
starting residents' frailty was moved by age band to where the dynamics keep it, moves out were
normalised within each band, a period's Bernoulli events came to take one uniform a row (their
times keyed to the resident) and business as usual was refitted on all that (the eighteenth
refit; RESULTS_VERSION 12; every case moved), and when death rates came to rise through each band
(log-linear between the bands' mid-ages) and the start's frailty shift and the incidences of
conditions were set again for them, the shift by single age, need measured against a reference
continuous in age, and business as usual refitted on five parameters with the 85+'s crisis scale
(the nineteenth refit; RESULTS_VERSION 13; every case moved), and when the death hazard's
need-elasticity rose to 1.3, the shock sd to 0.8 and the crises' need-elasticity fell to 0.4,
each band's deaths over the year (not its mean hazard) came to be held to its rate
(RESULTS_VERSION 14), ages within a band came to follow survival, the tables by band to be pinned
at each band's mean age, dementia to come at incidences that hold it, cancer to be gained with a
condition and the starting care-home residents to be weighted by how long each holds a place
(RESULTS_VERSION 15), the start state was stepped again by wsic start-state and business as usual
refitted (the twentieth refit; every case moved), and when the starting packages' weight came
to count moves out among a package's endings (RESULTS_VERSION 16) and home care's start and
referral rate were refitted on its growth read within age (the twenty-first refit; every case
moved), and when the starting rows' need draws came from a ten-year burn-in of deaths at their
own age, sex and base need (sim/start_population.py), the packages' weight came to end a package
at each holder's own chance of moving out, the start state was stepped again and business as
usual refitted (the twenty-second refit's first stage; RESULTS_VERSION 17; every case moved), and
when the start state was stepped twice more and a second stage fitted other hospital care's and
other social care's elasticities (every case moved, the engine did not), and when, at a sample, the
rest of the population's requests came to follow the sample's over its last 100 requests where a
year holds fewer, not 400 (sim/rest_of_population.py MIN_ASKS; RESULTS_VERSION 18; every case is
a sample, so every case moved; full population's results are unchanged). Re-record them only
for a change that is meant to move the numbers, say so in its commit, and raise
sim.replication.RESULTS_VERSION with them where the engine changed (a fit's cache and a run's
resume are keyed by it; a refit alone changes the model files, which both compare already).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from models.loader import load_model
from sim.replication import run_replication

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
# (case, model file, replication, seed, years, scale)
CASES = (
    ("baseline", "models/baseline.toml", 0, 7, 2, 0.02),
    ("baseline_rep1", "models/baseline.toml", 1, 7, 2, 0.02),
    ("wsic", "models/wsic.toml", 0, 7, 2, 0.02),
    ("wsic_three_years", "models/wsic.toml", 2, 11, 3, 0.05),
    ("stressed", "tests/sim/golden/stressed.toml", 0, 8, 3, 0.05),
)
# Cases whose event log is compared as a set of rows, not in row order: where beds, packages and
# places queue, several events can fall at the same instant, and a place given back now passes to
# the queue at the moment of release rather than one event later, so same-instant rows may be
# logged in another order (the stressed case's 37,477 rows hold 11 so reordered, at 2 instants).
# Results and the person log are still compared exactly.
EVENTS_AS_SET = ("stressed",)
# the person log's columns in the recording (a later column, such as a weight, is not compared)
PERSON_COLUMNS = (
    "replication",
    "person",
    "year",
    "borough",
    "age",
    "stratum",
    "risk_score",
    "stratum_concurrent",
    "leaf",
    "ae_attendances",
    "nel_admissions",
    "bed_days",
    "excess_bed_days",
    "care_home_days",
    "cost_nel",
    "cost_other_hospital",
    "cost_ooh",
    "cost_sc",
    "cost_total",
    "died",
)
EVENT_COLUMNS = ("replication", "person", "time", "event", "setting")


# Floating values are digested at this many significant digits. numpy's vectorised exp and log
# give other last bits on a processor with AVX-512 than on one without (numpy dispatches on the
# processor at import), which moved 2 of the wsic case's 34,726 event times by one unit in the last
# place and so every bit-exact digest between machines; ten digits leave a change of any meaning
# visible and that one not.
SIGNIFICANT_DIGITS = 10


def significant(values: np.ndarray, digits: int = SIGNIFICANT_DIGITS) -> list[str]:
    """Floats as text at ``digits`` significant digits (formatted by Python, which rounds
    correctly everywhere: numpy's own log10 and power are vectorised too, and move as exp does)."""
    return [f"{v:.{digits}g}" for v in np.asarray(values, dtype=float).tolist()]


def sorted_events(events: pd.DataFrame) -> pd.DataFrame:
    """The event log in a canonical order, for comparing it as a set of rows."""
    frame = events.assign(event=events.event.astype(str), setting=events.setting.astype(str))
    # ordered on the time as digested, so that a time's last bits cannot reorder rows
    key = np.asarray([float(v) for v in significant(frame.time.to_numpy())])
    order = np.lexsort((frame.setting.to_numpy(), frame.event.to_numpy(), key, frame.person.to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def digest(frame: pd.DataFrame, columns: tuple[str, ...]) -> str:
    """sha256 of the columns' values in row order: exact for integers and labels, floats at
    SIGNIFICANT_DIGITS."""
    h = hashlib.sha256()
    for c in columns:
        col = frame[c]
        values = col.astype(str).to_numpy() if isinstance(col.dtype, pd.CategoricalDtype) else col.to_numpy()
        if values.dtype.kind == "f":
            values = np.asarray(significant(values), dtype=object)
        h.update(c.encode())
        h.update(np.ascontiguousarray(values).tobytes() if values.dtype != object else "\x1f".join(values).encode())
    return h.hexdigest()


def run_case(model_path: str, replication: int, seed: int, years: int, scale: float):
    model = load_model(ROOT / model_path).model
    return run_replication(model, replication, seed, years, scale, event_log=True, person_log=True)


def record() -> None:
    GOLDEN.mkdir(exist_ok=True)
    digests = {}
    for name, path, rep, seed, years, scale in CASES:
        out = run_case(path, rep, seed, years, scale)
        out.results.to_parquet(GOLDEN / f"{name}.results.parquet", index=False)
        events = sorted_events(out.events) if name in EVENTS_AS_SET else out.events
        digests[name] = {
            "events": digest(events, EVENT_COLUMNS),
            "events_rows": len(out.events),
            "persons": digest(out.persons, PERSON_COLUMNS),
            "persons_rows": len(out.persons),
        }
    (GOLDEN / "digests.json").write_text(json.dumps(digests, indent=2) + "\n")


if __name__ == "__main__":
    record()
