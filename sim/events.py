"""The optional event log: who, when, what, where. Costs nothing when switched off."""

from __future__ import annotations

import numpy as np
import pandas as pd
import simpy

from sim.population import SETTING_NAMES

EVENTS = (
    "crisis",
    "access_point_call",
    "rr_arrival",
    "ae_attendance",
    "admission",
    "medically_fit",
    "discharge",
    "death",
    "vw_admission",
    "vw_discharge",
    "ic_admission",
    "ic_discharge",
    "reablement_start",
    "reablement_end",
    "assessment",
    "package_start",
    "package_end",
    "care_home_admission",
    "arrival",
    "move_out",
)
EVENT_CODE = {name: k for k, name in enumerate(EVENTS)}
SETTINGS = (*SETTING_NAMES, "access_point", "rapid_response", "emergency_department", "social_work")
SETTING_CODE = {name: k for k, name in enumerate(SETTINGS)}


class EventLog:
    """Events stamped with the simulation clock; ``add`` costs one call and a test when off, and
    callers build no arguments for it (it reads the time itself)."""

    def __init__(self, enabled: bool, env: simpy.Environment):
        self.enabled = enabled
        self.env = env
        self.person: list[int] = []
        self.ids: np.ndarray | None = None  # the person in each row (rows are reused), once known
        self.time: list[float] = []
        self.event: list[int] = []
        self.setting: list[int] = []

    def add(self, person: int, event: str, setting: str) -> None:
        if self.enabled:
            self.person.append(person if self.ids is None else int(self.ids[person]))
            self.time.append(self.env._now)
            self.event.append(EVENT_CODE[event])
            self.setting.append(SETTING_CODE[setting])

    def frame(self, replication: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "replication": np.full(len(self.person), replication, dtype=np.int32),
                "person": np.asarray(self.person, dtype=np.int64),
                "time": np.asarray(self.time, dtype=np.float64),
                "event": pd.Categorical.from_codes(np.asarray(self.event, dtype=np.int16), EVENTS),
                "setting": pd.Categorical.from_codes(np.asarray(self.setting, dtype=np.int16), SETTINGS),
            }
        )
