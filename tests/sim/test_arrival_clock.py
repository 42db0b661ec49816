"""Crises by hour of the day and day of the week: the clock's warp is monotone and invertible,
places crises in each hour in proportion to its weight, keeps a flat profile's times, and a run's
crises follow the model's profile; the rest of the population's requests follow it too."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models.schema import CareModel, CrisisTiming
from sim.arrival_clock import ArrivalClock
from sim.rest_of_population import Draws, rescaled
from tests.conftest import changed_data

DOC = {"unit": "relative crises", "source": "test"}
# about three times as many crises by day as at night, and fewer at weekends
HOURS = [1.0] * 8 + [3.0] * 12 + [1.5] * 4
DAYS = [1.1, 1.0, 1.0, 1.0, 1.0, 0.8, 0.8]


def timing(hour=HOURS, day=DAYS) -> CrisisTiming:
    return CrisisTiming(hour={"value": hour, **DOC}, day={"value": day, **DOC})


def test_a_flat_profile_keeps_the_uniform_times():
    clock = ArrivalClock(timing([1.0] * 24, [1.0] * 7))
    u = np.random.default_rng(1).random(1000)
    assert np.allclose(clock.place(12.3, u, 30.4), 12.3 + u * 30.4)
    assert clock.after(5.0, 0.25) == pytest.approx(5.25)


@settings(max_examples=60, deadline=None)
@given(t=st.floats(0, 2000), days=st.floats(0, 50))
def test_after_and_remaining_are_inverse_and_monotone(t, days):
    clock = ArrivalClock(timing())
    later = clock.after(t, days)
    assert later >= t - 1e-9
    assert clock.remaining(t, later) == pytest.approx(days, abs=1e-6)
    assert clock.after(t, days + 0.1) >= later
    assert clock.after(t, days) == pytest.approx(float(clock.time_at(clock.intensity(t) + days * 24)), abs=1e-9)


def test_crises_fall_in_each_hour_in_proportion_to_its_weight():
    clock = ArrivalClock(timing())
    u = np.random.default_rng(2).random(400_000)
    t = clock.place(0.0, u, 28.0)  # four whole weeks from a Monday
    hour_of_week = np.floor(t * 24).astype(int) % 168
    share = np.bincount(hour_of_week, minlength=168) / t.size
    w = (np.asarray(DAYS)[:, None] * np.asarray(HOURS)[None, :]).ravel()
    assert np.allclose(share, w / w.sum(), atol=0.0015)
    assert np.all(np.diff(clock.place(3.0, np.sort(u[:1000]), 30.0)) >= 0), "the same order of crises"


def test_rescaling_a_rate_on_the_clock_keeps_the_time_still_to_run():
    clock = ArrivalClock(timing())
    draws = Draws(np.random.default_rng(3))
    t_next = clock.after(10.0, 0.2)
    moved = rescaled(10.0, t_next, 5.0, 10.0, draws, clock)  # twice the rate: half the time still to run
    assert clock.remaining(10.0, moved) == pytest.approx(0.1, rel=1e-6)


def test_timing_refusals():
    with pytest.raises(ValidationError, match="expected 24"):
        timing([1.0] * 23)
    with pytest.raises(ValidationError, match="every hour and day has some crises"):
        timing(day=[1.0] * 6 + [0.0])


def test_a_runs_crises_follow_the_profile():
    from sim.replication import run_replication

    data = changed_data()
    data["crisis"]["timing"] = {"hour": {"value": HOURS, **DOC}, "day": {"value": DAYS, **DOC}}
    model = CareModel.model_validate(data)
    events = run_replication(model, 0, 4, 1, 0.01, event_log=True).events
    hour = np.floor(events[events.event == "crisis"].time.to_numpy() * 24) % 24
    by_day, at_night = ((hour >= 8) & (hour < 20)).mean(), (hour < 8).mean()
    # a day hour has three times a night hour's crises: 36 of 50 weight units by day, 8 at night
    assert by_day == pytest.approx(36 / 50, abs=0.03)
    assert at_night == pytest.approx(8 / 50, abs=0.03)
