"""Each care setting on its own: a tiny system of a few residents, no replication around it, so a
setting's queueing and what a move implies can be checked event by event."""

from __future__ import annotations

import numpy as np
import pytest

from sim.agenda import Environment
from sim.draws import C_DEST, C_HOURS, C_LOS, C_NURSING, DRAW_COLUMNS
from sim.events import EventLog
from sim.interventions import Interventions
from sim.population import CARE_HOME, DEAD, HOME, HOSPITAL, NURSING, REABLEMENT, RESIDENTIAL, synthesise
from sim.settings import Settings, build_settings
from sim.streams import Streams
from sim.system import System

N = 40


def tiny(model, n: int = N, scale: float = 1.0) -> Settings:
    """n residents of the model, every one at home and aged 80, with capacities at ``scale``
    (full size unless said)."""
    streams = Streams(3, 0)
    pop = synthesise(model, n, streams["population"])
    pop.age[:] = 80.0
    iv = Interventions(model, pop, streams, scale, len(model.population.boroughs))
    env = Environment()
    system = System(env, model, pop, scale, EventLog(True, env), iv)
    return build_settings(system)


def row(**columns: float) -> list[float]:
    """A crisis's draws: go home after a median stay, unless said otherwise."""
    r = [0.5] * DRAW_COLUMNS
    r[C_LOS] = 0.0
    r[C_DEST] = 0.0
    for name, v in columns.items():
        r[{"los": C_LOS, "dest": C_DEST, "hours": C_HOURS, "nursing": C_NURSING}[name]] = v
    return r


def test_a_second_admission_waits_for_the_one_bed(make_variant):
    st = tiny(make_variant(**{"hospital.beds": 1}))
    s, env = st.system, st.system.env
    st.hospital.admission(0, row())
    st.hospital.admission(1, row())
    env.run(until=0.001)
    assert st.hospital.beds.count == 1 and len(st.hospital.beds.queue) == 1
    assert s.pop.setting[0] == s.pop.setting[1] == HOSPITAL, "the one waiting is in hospital, not lost"
    first_stay = st.hospital.length_of_stay(0, 0.0)
    env.run(until=first_stay + st.hospital.length_of_stay(1, 0.0) + 1)
    for acc in s.accruals:
        acc.settle(env.now)
    assert s.pop.setting[0] == s.pop.setting[1] == HOME
    assert s.ledger.m["bed_wait_hours"][0] == 0
    assert s.ledger.m["bed_wait_hours"][1] == pytest.approx(first_stay * 24, rel=1e-9)
    assert s.ledger.m["bed_days"][1] == pytest.approx(st.hospital.length_of_stay(1, 0.0), rel=1e-9)


def test_a_death_in_hospital_frees_the_bed_for_the_next(make_variant):
    """A death during a stay, drawn when it was (the resident's own hazard), ends the stay there:
    the bed goes to the one waiting, and the stay's own end later finds them dead."""
    st = tiny(make_variant(**{"hospital.beds": 1}))
    s, env = st.system, st.system.env
    st.hospital.admission(0, row())
    st.hospital.admission(1, row())
    stay = st.hospital.length_of_stay(0, 0.0)
    env.run(until=stay / 2)
    s.die(0, st.crises.place(0))
    assert s.pop.setting[0] == DEAD and s.ledger.m["deaths"][0] == 1
    assert s.log.frame(0).iloc[-1]["setting"] == "hospital"
    assert st.hospital.beds.count == 1 and not st.hospital.beds.queue, "the bed went to the one waiting"
    assert s.pop.setting[1] == HOSPITAL
    env.run(until=stay + 0.01)
    assert s.pop.setting[0] == DEAD and st.hospital.beds.count == 1, "the first stay's end changed nothing"


def test_a_terminal_decline_from_home_ends_in_a_hospital_death_at_its_drawn_time(make_variant):
    st = tiny(make_variant(**{"hospital.beds": 5, "access_point.share_of_crises": 0.0}))
    s, env = st.system, st.system.env
    st.crises.terminal_decline(0, row(), 12.5)
    env.run(until=12.0)
    assert s.pop.setting[0] == HOSPITAL, "the decline's crisis was admitted"
    env.run(until=12.6)
    assert s.pop.setting[0] == DEAD and s.pop.death_time[0] == pytest.approx(12.5)
    assert s.log.frame(0).iloc[-1]["setting"] == "hospital"
    assert st.hospital.beds.count == 0 and 0 not in st.hospital.in_bed


def test_an_assessment_waits_for_a_free_social_worker(make_variant):
    # 2 FTE of 1,500 productive hours a year are about 0.34 servers on duty: one server, stretched
    st = tiny(make_variant(**{"workforce.social_worker.fte": [2.0, 2.0, 2.0]}))
    s, env = st.system, st.system.env
    same = np.flatnonzero(s.pop.borough == s.pop.borough[0])[:2]
    pool = st.social_work.pools[s.pop.borough[0]]
    assert pool.capacity == 1
    for i in same:
        env.process(st.social_work.assess(int(i)))
    env.run(until=100)
    job = st.social_work.hours * pool.time_factor / 24
    for acc in s.accruals:
        acc.settle(env.now)
    waits = sorted(s.ledger.m["assessment_wait_days"][same])
    assert waits == pytest.approx([0.0, job], rel=1e-9)
    assert pool.busy_hours == pytest.approx(2 * st.social_work.hours), "busy hours are the work, not the stretch"


def test_a_package_waits_for_hours_and_a_death_gives_them_back(make_variant):
    st = tiny(make_variant(**{"home_care.hours_capacity": [10, 10, 10], "home_care.package_hours_max": 10}))
    s, env = st.system, st.system.env
    b = s.pop.borough[0]
    a, c = (int(i) for i in np.flatnonzero(s.pop.borough == b)[:2])
    market = st.home_care.markets[b]
    s.pop.need[[a, c]] = 1e9  # packages as large as the market allows
    env.process(st.home_care.start(a, row(hours=0.99)))
    env.process(st.home_care.start(c, row(hours=0.99)))
    env.run(until=1)
    assert s.pop.package_hours[a] == 10 and market.level == 0
    assert s.pop.package_hours[c] == 0 and len(market.get_queue) == 1, "the second waits for hours"
    s.die(a, "home")
    env.run(until=2)
    assert s.pop.package_hours[c] == 10, "the dead resident's hours went to the one waiting"
    assert not s.pending, "nobody is left noted as waiting"


def test_a_death_while_queued_leaves_the_queue(make_variant):
    st = tiny(make_variant(**{"home_care.hours_capacity": [10, 10, 10], "home_care.package_hours_max": 10}))
    s, env = st.system, st.system.env
    b = s.pop.borough[0]
    a, c = (int(i) for i in np.flatnonzero(s.pop.borough == b)[:2])
    s.pop.need[[a, c]] = 1e9
    env.process(st.home_care.start(a, row(hours=0.99)))
    env.process(st.home_care.start(c, row(hours=0.99)))
    env.run(until=1)
    s.die(c, "home")
    env.run(until=2)
    market = st.home_care.markets[b]
    assert not market.get_queue and c not in s.pending
    assert s.pop.package_hours[c] == 0 and market.level == 0


def test_a_care_home_place_is_held_until_death_then_goes_to_the_next(make_variant):
    st = tiny(make_variant(**{"care_homes.residential_places": 1, "care_homes.nursing_places": 1}))
    s, env = st.system, st.system.env
    env.process(st.care_homes.place(0, row(nursing=0.99)))
    env.process(st.care_homes.place(1, row(nursing=0.99)))
    env.run(until=1)
    assert s.pop.setting[0] == CARE_HOME and s.pop.placement[0] == RESIDENTIAL
    assert s.pop.setting[1] == HOME and st.care_homes.queued(RESIDENTIAL) == 1
    s.die(0, "care_home")
    env.run(until=2)
    assert s.pop.placement[0] == 0 and s.pop.placement[1] == RESIDENTIAL and s.pop.setting[1] == CARE_HOME
    assert st.care_homes.occupied(RESIDENTIAL) == 1 and st.care_homes.occupied(NURSING) == 0


def test_readmission_from_reablement_gives_the_place_back(make_variant):
    st = tiny(make_variant(**{"reablement.places": [1, 1, 1]}))
    s, env = st.system, st.system.env
    team = st.reablement.team_of(0)
    req = team.request()
    env.run(until=0.1)
    s.enter_hospital(0)
    s.leave_hospital(0, to_reablement=True)
    st.reablement.begin(0, row(), req)
    env.run(until=1)
    assert s.pop.setting[0] == REABLEMENT and team.count == 1
    st.hospital.admission(0, row())
    env.run(until=1.01)
    assert s.pop.setting[0] == HOSPITAL
    assert team.count == 0 and 0 not in st.reablement.current, "the move gave the place back"
    env.run(until=st.reablement.duration + 5)
    assert team.count == 0, "the episode's own end does not release it twice"


def test_moves_keep_one_setting_and_accrue_in_one_place(make_variant):
    st = tiny(make_variant())
    s, env = st.system, st.system.env
    env.run(until=10)
    s.enter_virtual_ward(0)
    env.run(until=13)
    s.leave_virtual_ward(0)
    s.enter_intermediate_care(1)
    env.run(until=20)
    s.leave_intermediate_care(1)
    for acc in s.accruals:
        acc.settle(env.now)
    m = s.ledger.m
    assert m["vw_days"][0] == pytest.approx(3) and m["community_days"][0] == pytest.approx(20)
    assert m["ic_days"][1] == pytest.approx(7) and m["community_days"][1] == pytest.approx(13)
    assert s.pop.setting[0] == s.pop.setting[1] == HOME
    assert m["person_days"][:2] == pytest.approx([20, 20])


def test_a_reserved_reablement_place_no_longer_needed_is_given_back(make_variant):
    """Waiting in hospital for reablement, a resident is offered a care home place: the reablement
    place, when it comes, is given back at once, and the discharge goes to the care home."""
    from sim.hospital import TO_REABLEMENT

    st = tiny(make_variant(**{"reablement.places": [1, 1, 1], "care_homes.residential_places": 5}))
    s, env = st.system, st.system.env
    b = s.pop.borough[0]
    a = int(np.flatnonzero(s.pop.borough == b)[0])
    team = st.reablement.team_of(a)
    held = team.request()  # the borough's one place, taken by someone else
    s.enter_hospital(a)
    bed = st.hospital.beds.take()
    env.process(st.hospital._arrange(a, row(), bed, TO_REABLEMENT))
    env.run(until=1)
    assert len(team.queue) == 1 and s.pop.setting[a] == HOSPITAL
    env.process(st.care_homes.place(a, row(nursing=0.99)))
    env.run(until=2)
    assert s.pop.placement[a] == RESIDENTIAL and s.pop.setting[a] == HOSPITAL, "the place waits for discharge"
    team.release(held)
    env.run(until=3)
    assert team.count == 0 and not team.queue, "the reablement place went back"
    assert a not in st.reablement.current
    assert s.pop.setting[a] == CARE_HOME and st.hospital.beds.count == 0


def test_a_death_is_counted_once_where_the_resident_is_and_in_their_borough(make_variant):
    """In a bed, in A&E and at home: one death each, at that place and in the resident's borough
    (scaled to the whole population), and nowhere else."""
    st = tiny(make_variant(**{"hospital.beds": 1}))
    s = st.system
    st.hospital.admission(0, row())
    st.emergency.attend(2, row())
    assert s.setting[0] == HOSPITAL and st.emergency.present(2) and s.setting[1] == HOME
    for i in (0, 1, 2):
        s.die(i, st.crises.place(i))
    expected: dict[tuple[str, int, str], float] = {}
    for i, place in ((0, "hospital"), (1, "home"), (2, "emergency_department")):
        key = ("all", int(s.pop.borough[i]), f"deaths_{place}")
        expected[key] = expected.get(key, 0.0) + s.inv_scale
    counted = {k: v for k, v in s.tally.sums.items() if k[2].startswith("deaths_") and v}
    assert counted == expected
