"""Random numbers that belong to a resident, not to a position in a stream.

A stream drawn in order hands each resident the numbers after everyone before them, so anything
that changes how many numbers an earlier resident takes (a death, a longer stay, an extra row
reserved for a newcomer) moves every later resident's draws. Two ways keep a resident's numbers
their own:
- a fixed number of columns per row from one call (``rng.random((rows, k))``): row i reads the
  same numbers however many rows follow it;
- keyed uniforms for events whose count varies (a resident's crises in a period): each number is a
  hash of (stream key, row, event index, column), so it does not depend on any other row at all.
A count drawn from one uniform by inversion (``poisson_from_uniform``) takes one number whatever it
comes to, unlike numpy's Poisson sampler, which takes as many as its method needs.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
# above this mean a Poisson count is drawn from its Cornish-Fisher normal approximation (the
# inversion's terms underflow near 745; beyond 400 the approximation is the quantile in 99.8% of
# draws and never a count away from it)
NORMAL_ABOVE = 400.0


def _mix(z: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser: a bijection of 64-bit words that spreads every input bit."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def keyed_uniforms(key: int, rows: np.ndarray, index: np.ndarray, columns: int) -> np.ndarray:
    """Uniforms in [0, 1), one row per (row, index) pair and ``columns`` columns, each a function
    of the key, the pair and the column only (SplitMix64 at the pair's own position)."""
    rows = np.asarray(rows, dtype=np.uint64)
    index = np.asarray(index, dtype=np.uint64)
    with np.errstate(over="ignore"):
        base = _mix(_mix(rows ^ np.uint64(key)) + index * _GOLDEN)
        steps = (np.arange(1, columns + 1, dtype=np.uint64) * _GOLDEN)[None, :]
        z = _mix(base[:, None] + steps)
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


BLOCK_ROWS = 8192  # rows drawn at a time by ``uniform_columns``: a block and its transpose stay in cache


def uniform_columns(rng: np.random.Generator, rows: int, columns: int, out: np.ndarray | None = None) -> np.ndarray:
    """``rng.random((rows, columns)).T``, the same numbers, with each column contiguous in memory.
    Drawn a block of rows at a time and transposed in cache: a column of the row-major array is
    read with a stride of ``columns`` numbers, which made every later pass over it several times
    slower. ``out`` (shape ``(columns, rows)``), kept between calls, spares a fresh allocation of
    that size each time."""
    if out is None:
        out = np.empty((columns, rows))
    elif out.shape != (columns, rows):
        raise ValueError(f"out has shape {out.shape}, expected {(columns, rows)}")
    block = np.empty((min(BLOCK_ROWS, rows), columns))
    for start in range(0, rows, BLOCK_ROWS):
        end = min(rows, start + BLOCK_ROWS)
        chunk = block[: end - start]
        rng.random(out=chunk)
        out[:, start:end] = chunk.T
    return out


def normal_from_uniform(u: np.ndarray) -> np.ndarray:
    """Standard normals by inversion, so a normal takes one uniform."""
    return ndtri(np.maximum(u, 1e-300))  # (np.clip's wrapper costs more than the pass)


def poisson_from_uniform(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson counts by inversion of the CDF, one uniform each (scipy's ``poisson.ppf`` gives the
    same counts about twenty times slower); means above NORMAL_ABOVE use a normal approximation."""
    u = np.asarray(u, dtype=np.float64)
    mean = np.broadcast_to(np.asarray(mean, dtype=np.float64), u.shape)
    k = np.zeros(u.shape, dtype=np.int64)
    large = mean > NORMAL_ABOVE
    if large.any():
        m = mean[large]
        z = normal_from_uniform(u[large])
        k[large] = np.maximum(0, np.floor(m + np.sqrt(m) * z + (z * z - 1.0) / 6.0 + 0.5)).astype(np.int64)
    # A uniform at or below exp(-mean) is a count of none, and exp(-mean) >= 1 - mean, so only the
    # uniforms above 1 - mean (less a margin far wider than exp's rounding) need the CDF at all:
    # with the small means of a period's crises that is a few in a hundred.
    # Each count is then the number of steps its uniform stays above the running CDF. Once below it
    # (or once its term underflows) a count never moves again, so a step adds one to the live
    # counts with no write by index, and the live ones are packed together again only once fewer
    # than half of those carried are live: the same arithmetic in the same order as the plain
    # recursion, so the same counts.
    candidate = (u >= 1.0 - mean - 1e-9) & (mean > 0)
    if large.any():
        candidate &= ~large
    pos = np.flatnonzero(candidate)
    lam = mean[pos]
    p = np.exp(-lam)
    live = np.flatnonzero(u[pos] > p)
    pos, lam, p = pos[live], lam[live], p[live]
    ui = u[pos]
    cdf = p.copy()
    counts = np.zeros(pos.size, dtype=np.int64)
    j = 0
    n_live = pos.size
    every = True
    while n_live:
        if not every and 2 * n_live < pos.size:
            k[pos] = counts  # the ended counts are final
            keep = np.flatnonzero(live)
            pos, lam, ui, p, cdf, counts = pos[keep], lam[keep], ui[keep], p[keep], cdf[keep], counts[keep]
            every = True
        j += 1
        p *= lam / j
        cdf += p
        if every:
            counts += 1
        else:
            counts += live
        live = (ui > cdf) & (p > 0)  # p underflows only past any u < 1
        n_live = int(np.count_nonzero(live))
        every = n_live == pos.size
    k[pos] = counts
    return k
