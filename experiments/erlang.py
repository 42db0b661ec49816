"""Queueing theory's first approximation of a pool: Erlang C for the chance of waiting, with the
two-moment correction for how variable the jobs are, and, for a rota, the same hour by hour.

- Erlang C (M/M/c): the chance a call waits is C(c, a) for a = lambda / mu offered load, and a
  wait, once it happens, is exponential with rate c mu - lambda.
- A job of fixed length (a rapid-response visit, an assessment) waits less than an exponential
  one: the conditional wait's mean is scaled by (1 + cs^2) / 2, cs^2 the jobs' squared coefficient
  of variation (the Allen-Cunneen / Lee-Longton two-moment approximation; Whitt W (1993)
  Approximations for the GI/G/m queue, Production and Operations Management 2(2):114-161), and is
  kept exponential.
- A rota: each hour is taken as a steady state of its own servers and arrivals (the stationary
  independent period-by-period approximation, Green L, Kolesar P and Soares J (2001) Improving
  the SIPP approach for staffing service systems that have cyclic demands, Operations Research
  49(4):549-564), weighted by the calls arriving in it. It ignores the queue one hour hands the
  next, so it is optimistic after a shift ends; its authors find it unreliable where jobs last
  longer than the periods (a rapid-response job of about three hours against hourly periods) and
  propose corrections (Lag-SIPP) not made here.

Theory leaves out what the whole system adds: a pool's servers held by other work, downstream
places that are full, deaths in the queue, correlated demand. Where simulation and theory part, that
is why.
"""

from __future__ import annotations

import math

import numpy as np


def erlang_c(c: int, a: float) -> float:
    """The chance an arrival waits in an M/M/c queue with offered load a (1 if a >= c)."""
    if c <= 0 or a >= c:
        return 1.0
    if a <= 0:
        return 0.0
    b = 1.0  # Erlang B by its recursion, stable for any c
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1.0 - b))


def p_within(c: int, lam: float, service: float, t: float, scv: float = 1.0) -> float:
    """The chance the wait is at most t (lam arrivals and service mean in the same time unit)."""
    if t < 0:
        return 0.0
    a = lam * service
    if c <= 0 or a >= c:
        return 0.0
    rate = (c / service - lam) * 2.0 / (1.0 + scv)
    return 1.0 - erlang_c(c, a) * math.exp(-rate * t)


def mean_wait(c: int, lam: float, service: float, scv: float = 1.0) -> float:
    """The mean wait in the queue (inf where the pool cannot keep up)."""
    a = lam * service
    if c <= 0 or a >= c:
        return math.inf
    return erlang_c(c, a) / (c / service - lam) * (1.0 + scv) / 2.0


def p_within_by_hour(servers: np.ndarray, lam_by_hour: np.ndarray, service: float, t: float, scv: float = 1.0) -> float:
    """A rota's chance of a wait at most t: each hour's steady state, weighted by its arrivals
    (lam_by_hour per hour, service and t in hours)."""
    total = float(lam_by_hour.sum())
    if total <= 0:
        return 1.0
    p = [p_within(int(c), float(lam), service, t, scv) for c, lam in zip(servers, lam_by_hour, strict=True)]
    return float(np.dot(p, lam_by_hour) / total)
