"""What interventions report: enrolled person-time, backlog and caseload each period, and their
set-up, running and per-person costs and the workforce paid per FTE each year."""

from __future__ import annotations

import numpy as np

from models.vocabulary import DAYS_PER_YEAR
from sim.interventions import ATTRIBUTED_INDEX, Interventions
from sim.tally import SystemTally


def tally_period(iv: Interventions, key: np.ndarray, days: float, tally: SystemTally, inv_scale: float) -> None:
    """Enrolled person-time by group, backlog and caseload by borough, bulk-role hours demanded."""
    by_group = iv.enrolment.enrolled_by_group(key)
    enrolled_bk, waiting_bk = iv.enrolment.by_borough()
    for act in iv.active:
        person_years = by_group[act.index] * (days / DAYS_PER_YEAR)
        iv.attributed[act.index, ATTRIBUTED_INDEX["enrolled_person_years"]] += person_years
        if not iv.running[act.index]:
            continue
        enrolled_b, waiting_b = enrolled_bk[act.index], waiting_bk[act.index]
        for b in range(iv.nb):
            tally.sample_intervention(act.name, b, "enrolled", enrolled_b[b] * inv_scale)
            tally.sample_intervention(act.name, b, "backlog", waiting_b[b] * inv_scale)
            tally.add_intervention(act.name, b, "waiting_person_days", waiting_b[b] * days * inv_scale)
            for role, _h in act.capping:
                fte = iv.model.workforce[role].fte.value[b]
                if fte > 0:
                    tally.sample_intervention(act.name, b, f"caseload_per_{role}_fte", enrolled_b[b] * inv_scale / fte)


def tally_year_costs(iv: Interventions, year: int, tally: SystemTally) -> None:
    """Set-up, running and per-person costs of interventions; FTE-costed workforce."""
    nb = iv.nb
    for act in iv.active:
        if not iv.running[act.index]:
            continue
        costs = act.spec.costs
        person_years = iv.attributed[act.index, ATTRIBUTED_INDEX["enrolled_person_years"]]
        py_b = person_years.reshape(nb, -1).sum(axis=1) / iv.scale
        items = [("per_person", costs.per_person, py_b)]
        if year == act.spec.start_year:
            items.append(("set_up", costs.set_up, None))
        items.append(("per_year", costs.per_year, None))
        for label, unit, per_b in items:
            payer = "nhs" if unit.payer == "NHS" else "council"
            if per_b is None:
                tally.add_intervention(act.name, -1, f"cost_interventions_{payer}", unit.value)
                tally.add_intervention(act.name, -1, f"cost_{label}", unit.value)
            else:
                for b in range(nb):
                    tally.add_intervention(act.name, b, f"cost_interventions_{payer}", unit.value * per_b[b])
                    tally.add_intervention(act.name, b, f"cost_{label}", unit.value * per_b[b])
    for act in iv.active:
        if not iv.running[act.index]:
            continue
        joined = iv.attributed[act.index, ATTRIBUTED_INDEX["enrolments"]].reshape(nb, -1).sum(axis=1)
        for b in range(nb):
            waited = tally.sums.get((act.name, b, "waiting_person_days"), 0.0) * iv.scale
            if joined[b] > 0:
                # Little's law: waiting person-days over people who joined is the mean wait to enrol
                tally.add_intervention(act.name, b, "mean_wait_to_enrol_days", waited / joined[b])
    for role, spec in iv.model.workforce.items():
        if spec.costed != "fte":
            continue
        payer = "nhs" if spec.cost_per_fte.payer == "NHS" else "council"
        for b, fte in enumerate(spec.fte.value):
            if fte > 0:
                tally.add(b, f"cost_workforce_{payer}", fte * spec.cost_per_fte.value)
                tally.add(b, f"{role}_fte", fte)
