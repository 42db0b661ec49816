"""Named random streams: one SeedSequence per replication, one generator per process type.

A stream's seed depends only on (seed, replication, name), so a scenario that draws more from one
stream leaves every other stream untouched (common random numbers), and results do not depend on
how replications are spread over workers.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (crc32 is stable across runs and platforms)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Lazily created, named numpy Generators for one replication."""

    def __init__(self, seed: int, replication: int):
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative")
        self.seed = seed
        self.replication = replication
        self._generators: dict[str, np.random.Generator] = {}

    def _sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(entropy=self.seed, spawn_key=(self.replication, stream_key(name)))

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._generators.get(name)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self._sequence(name)))
            self._generators[name] = gen
        return gen

    def key(self, name: str) -> int:
        """A 64-bit key for keyed draws (sim/row_draws.py), from the stream's own seed sequence."""
        return int(self._sequence(f"key:{name}").generate_state(1, np.uint64)[0])
