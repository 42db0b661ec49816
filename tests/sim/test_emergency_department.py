"""A&E's queues: the minors stream's recursions against a simpy model of the same department, the
four-hour standard of business as usual, and deaths on a trolley."""

from __future__ import annotations

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.draws import C_ADMIT
from sim.emergency_department import department_times
from sim.population import HOSPITAL
from sim.replication import Replication


def _simpy_department(arrive, treat, clinician_days, cubicles, clinicians):
    env = simpy.Environment()
    cub = simpy.Resource(env, cubicles)
    clin = simpy.Resource(env, clinicians)
    out = np.empty(len(arrive))

    def patient(k, t, d):
        yield env.timeout(t - env.now)
        with cub.request() as c:
            yield c
            start = env.now
            with clin.request() as r:
                yield r
                seen = env.now
                yield env.timeout(clinician_days)
            yield env.timeout(max(0.0, seen + d - env.now))
            assert env.now >= start
        out[k] = env.now - t

    def source():
        for k, (t, d) in enumerate(zip(arrive, treat, strict=True)):
            yield env.timeout(t - env.now)
            env.process(patient(k, t, d))

    env.process(source())
    env.run()
    return out


def test_one_cubicle_one_clinician_by_hand():
    arrive = np.array([0.0, 0.1, 0.2])
    treat = np.array([0.5, 0.5, 0.5])
    times = department_times(arrive, treat, 0.1, 1, 1)
    # each waits for the one before to leave: leaves at 0.5, 1.0, 1.5
    assert times.tolist() == pytest.approx([0.5, 0.9, 1.3])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    cubicles=st.integers(1, 4),
    clinicians=st.integers(1, 3),
    seed=st.integers(0, 10_000),
)
def test_recursions_match_a_simpy_department(n, cubicles, clinicians, seed):
    """First come first served with every length known on arrival: each leaves when simpy's would,
    whether cubicles or clinicians are short (a clinician's job is no longer than the treatment:
    the patient holds the cubicle from first being seen to leaving)."""
    rng = np.random.default_rng(seed)
    arrive = np.sort(rng.random(n) * 2.0)
    treat = 0.05 + rng.random(n) * 0.3
    clinician_days = 0.04
    ours = department_times(arrive, treat, clinician_days, cubicles, clinicians)
    assert ours == pytest.approx(_simpy_department(arrive, treat, clinician_days, cubicles, clinicians))
    assert (ours >= treat - 1e-12).all()


def test_a_clinician_short_by_hand():
    """Two cubicles, one clinician busy 0.2 days a patient: the second waits for the clinician,
    not for a cubicle, and is treated from then."""
    times = department_times(np.array([0.0, 0.01]), np.array([0.5, 0.5]), 0.2, 2, 1)
    assert times.tolist() == pytest.approx([0.5, 0.69])


@pytest.mark.slow
def test_business_as_usual_meets_englands_2010_11_four_hour_performance(baseline):
    """Type 1 A&E in England: 97.6% within four hours in Q1 2010/11, 97.0% in Q2 (README, A&E)."""
    rep = Replication(baseline, 0, seed=5, years=1, scale=0.1)
    r = rep.run().results
    people = r[r.stratum != "all"].groupby("measure").value.sum()
    system = r[(r.stratum == "all") & (r.borough == "all")].groupby("measure").value.sum()
    within = people["ae_within_4h"] + system["ae_minor_within_4h"]
    attended = people["ae_attendances"] - people["ae_minor"] + system["ae_minor_attendances_timed"]
    assert 0.965 <= within / attended <= 0.98
    assert 3.0 < system["ae_p95_hours"] < 4.5  # the national 95th centile was 4 h 20 min (May 2011)


def test_a_death_on_a_trolley_gives_the_cubicle_to_the_next_and_withdraws_the_bed_wait(make_variant):
    """One bed, held; one cubicle. An admitted patient waits in the cubicle for the bed; a second
    waits for the cubicle. The first dies there: the cubicle goes to the second at once, the
    first's wait for a bed is withdrawn, and the death is counted in A&E."""
    from tests.sim.test_settings import row, tiny

    st = tiny(make_variant(**{"hospital.beds": 1, "emergency_department.majors_cubicles": 1}))
    s, ed, env = st.system, st.emergency, st.system.env
    st.hospital.admission(0, row())  # holds the one bed
    admitted = row()
    admitted[C_ADMIT] = 0.0  # below any band's chance of admission
    ed.attend(1, admitted)
    env.run(until=0.5)  # past the decision to admit (about 2.2 hours)
    assert 1 in ed.on_trolley and s.setting[1] == HOSPITAL and ed.cubicles.in_use() == 1
    assert len(st.hospital.beds.queue) == 1
    discharged = row()
    discharged[C_ADMIT] = 0.999  # goes home from A&E
    ed.attend(2, discharged)
    assert ed.cubicles.in_use() == 1 and ed.present(2), "in the department, waiting for the cubicle"
    treated = ed.on_trolley[1][2]  # the first patient's time in the cubicle to the decision, days
    s.die(1, st.crises.place(1))
    assert 1 not in ed.on_trolley and not st.hospital.beds.queue, "the wait for a bed withdrawn"
    assert ed.cubicles.in_use() == 1, "the cubicle went straight to the next patient"
    assert s.tally.sums[("all", int(s.pop.borough[1]), "deaths_emergency_department")] == 1.0
    env.run(until=1.0)
    # in the cubicle from the moment of the death, seen at once, treated as long as the first was
    # (the same draws), and gone home within four hours
    hours = s.ledger.m["ae_department_hours"][2]
    assert hours == pytest.approx(24 * treated, rel=1e-9) and hours < 4.0
    assert s.ledger.m["ae_within_4h"][2] == 1
    assert ed.cubicles.in_use() == 0 and not ed.present(2)


def test_a_resident_waiting_on_a_trolley_can_die_there_and_gives_the_cubicle_back(make_variant):
    # few beds, so admitted patients wait on trolleys; a high death rate, so some die there
    model = make_variant(**{"hospital.beds": 200, "mortality.annual_death_rate": [1.0] * 6})
    rep = Replication(model, 0, seed=2, years=1, scale=0.02, event_log=True)
    ed = rep.settings.emergency
    result = rep.run()
    ev = result.events
    died = ev[(ev.event == "death") & (ev.setting == "emergency_department")]
    assert len(died) > 0
    assert not set(died.person) & set(ed.on_trolley), "the dead leave the trolley"
    pop = rep.sys.pop
    assert all(pop.setting[i] == HOSPITAL for i in ed.on_trolley), "on a trolley is admitted, alive"
    assert ed.cubicles.in_use() <= ed.cubicles.capacity
