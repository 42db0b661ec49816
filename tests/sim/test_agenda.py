"""Plain calls and the resumed call play exactly where the Timeouts they stand for would have."""

from __future__ import annotations

import simpy

from sim.agenda import Environment


def _schedule(env: simpy.Environment, plain: bool, log: list) -> None:
    """The same mix of timeouts, processes and calls, ties included, as Timeouts or as plain calls."""

    def at(delay: float, name: str) -> None:
        if plain:  # the time is read when the call plays, as the Timeout's callback reads it
            env.call_in(delay, lambda n: log.append((n, env.now)), name)
        else:
            env.timeout(delay).callbacks.append(lambda _ev: log.append((name, env.now)))

    def proc(k: int):
        yield env.timeout(1.0)
        log.append((f"proc{k}", env.now))
        at(0.0, f"after{k}")  # a zero delay, falling at once among same-time events
        yield env.timeout(0.5)
        log.append((f"proc{k}-end", env.now))

    for k in range(3):
        at(1.0, f"call{k}")  # ties with the processes' first wake
        env.process(proc(k))
        at(0.25 * k, f"early{k}")


def test_plain_calls_play_in_simpy_order():
    plain, timed = [], []
    env = Environment()
    _schedule(env, True, plain)
    env.run()
    reference = simpy.Environment()
    _schedule(reference, False, timed)
    reference.run()
    assert [n for n, _ in plain] == [n for n, _ in timed]
    assert [t for _, t in plain] == [t for _, t in timed]
    assert next(env._eid) == next(reference._eid)  # the same events numbered


def test_a_resumed_call_plays_where_its_timeout_would():
    order = []
    env = Environment()

    def log(name: str) -> None:
        order.append((name, env.now))

    env.call_in(2.0, log, "tie-before")  # same time, scheduled earlier: first
    env.resume_in(2.0, lambda: log("resumed"))
    env.call_in(2.0, log, "tie-after")
    env.call_in(1.0, log, "earlier")
    env.run()
    assert order == [("earlier", 1.0), ("tie-before", 2.0), ("resumed", 2.0), ("tie-after", 2.0)]
    # alone in the queue, the resumed call still moves the clock to its own time
    env.resume_in(0.5, lambda: log("alone"))
    env.run()
    assert order[-1] == ("alone", 2.5) and env.now == 2.5
