"""Places (beds, care home places, ward and team places) as a simpy resource with O(1) release.

simpy's Resource keeps its users in a list, so each release searches it: with a thousand beds
that search dominates a full-population run. Here users live in an insertion-ordered dict with
the list methods simpy calls (append, remove, len), and behaviour is otherwise simpy's own.
"""

from __future__ import annotations

import simpy


class _Users(dict):
    def append(self, request) -> None:
        self[request] = None

    def remove(self, request) -> None:
        try:
            del self[request]
        except KeyError:
            raise ValueError("request is not a user") from None


class Places(simpy.Resource):
    """A simpy Resource whose release does not scan its users."""

    def __init__(self, env: simpy.Environment, capacity: int = 1):
        super().__init__(env, capacity)
        self.users = _Users()  # type: ignore[assignment]
