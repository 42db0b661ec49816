"""System-level measures of the year (capacity in use, queues, workforce hours, intervention
caseloads and costs), keyed by (intervention, borough, measure)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np


class SystemTally:
    """Yearly system-level measures. Borough is an index, or -1 for the whole system;
    intervention is "all" for measures that belong to no intervention."""

    def __init__(self) -> None:
        self.sums: dict[tuple[str, int, str], float] = defaultdict(float)
        self.means: dict[tuple[str, int, str], list[float]] = defaultdict(list)

    def add(self, borough: int, measure: str, value: float) -> None:
        self.sums[("all", borough, measure)] += value

    def sample(self, borough: int, measure: str, value: float) -> None:
        """A level observed once a period; reported as the year's mean."""
        self.means[("all", borough, measure)].append(value)

    def add_intervention(self, intervention: str, borough: int, measure: str, value: float) -> None:
        self.sums[(intervention, borough, measure)] += value

    def sample_intervention(self, intervention: str, borough: int, measure: str, value: float) -> None:
        self.means[(intervention, borough, measure)].append(value)

    def rows(self) -> list[tuple[str, int, str, float]]:
        out = [(iv, b, m, v) for (iv, b, m), v in self.sums.items()]
        out += [(iv, b, m, float(np.mean(v))) for (iv, b, m), v in self.means.items()]
        return out

    def reset(self) -> None:
        self.sums.clear()
        self.means.clear()
