"""Synthetic residents as a struct of numpy arrays, with their latent need.

The joint distribution of age, long-term conditions (LTCs), dementia, cancer, learning disability
and serious mental illness follows the model file; latent need (GBP of expected annual cost) is
the cost-tree leaf mean for those attributes (times a fitted multiplier per leaf) times a
persistent frailty and a transient shock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.schema import CareModel
from sim.row_draws import normal_from_uniform

# Where a resident is. Exactly one value per resident at any time. Rows for people who will
# arrive later (births and in-migration) wait as NOT_ARRIVED; the living are those below DEAD.
HOME, HOSPITAL, VIRTUAL_WARD, REABLEMENT, CARE_HOME, INTERMEDIATE_CARE, DEAD, NOT_ARRIVED = range(8)
SETTING_NAMES = (
    "home",
    "hospital",
    "virtual_ward",
    "reablement",
    "care_home",
    "intermediate_care",
    "dead",
    "not_arrived",
)

# Care home type held by a resident (the place is kept while they are in hospital).
NO_PLACEMENT, RESIDENTIAL, NURSING = 0, 1, 2


@dataclass
class Population:
    """Residents are rows; every array has one entry per resident."""

    age: np.ndarray  # float64 years
    female: np.ndarray  # bool
    borough: np.ndarray  # int8 index into model.population.boroughs
    network: np.ndarray  # int16 GP network, numbered across boroughs
    ltc: np.ndarray  # int8 count of long-term conditions
    dementia: np.ndarray  # bool
    cancer: np.ndarray  # bool
    learning_disability: np.ndarray  # bool
    smi: np.ndarray  # bool, serious mental illness
    # bool: one of the few whose crises come far more often than need carries, while of the ages
    # crisis.frequent_attenders gives (persistent; drawn whatever the age, so it holds as they age)
    frequent: np.ndarray
    frailty: np.ndarray  # float64, persistent need multiplier, drawn of mean 1, shifted by age at the start
    shock: np.ndarray  # float64, log of the transient need component
    base_need: np.ndarray = field(default_factory=lambda: np.empty(0))  # leaf need x SMI
    need: np.ndarray = field(default_factory=lambda: np.empty(0))  # GBP per year
    setting: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    placement: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    # needs 24-hour care: from a care home referral arising (whether or not a place follows) or a
    # place held at the start; it raises the death hazard wherever the resident lives
    dependent: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    package_hours: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    referred: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))  # open referrals
    stratum: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    risk_score: np.ndarray = field(default_factory=lambda: np.empty(0))
    death_time: np.ndarray = field(default_factory=lambda: np.empty(0))
    moved_time: np.ndarray = field(default_factory=lambda: np.empty(0))  # when they moved out, if they did
    person: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # who holds the row (rows are reused)
    unobserved: np.ndarray = field(default_factory=lambda: np.empty(0))  # standard normal, risk score only
    planned: np.ndarray = field(default_factory=lambda: np.empty(0))  # standard normal, planned care only

    @property
    def size(self) -> int:
        return int(self.age.shape[0])

    @property
    def alive(self) -> np.ndarray:
        return self.setting < DEAD


def age_band(age: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Index of each age's band, given the bands' lower bounds."""
    return np.searchsorted(lower, age, side="right") - 1


def has_condition(condition: str, ltc, dementia, cancer, learning_disability, smi) -> np.ndarray:
    """Who has one of the eligibility vocabulary's conditions (models.vocabulary.CONDITIONS)."""
    return {
        "ltc": lambda: ltc >= 1,
        "multimorbidity": lambda: ltc >= 2,
        "dementia": lambda: np.asarray(dementia, dtype=bool),
        "cancer": lambda: np.asarray(cancer, dtype=bool),
        "learning_disability": lambda: np.asarray(learning_disability, dtype=bool),
        "smi": lambda: np.asarray(smi, dtype=bool),
    }[condition]()


def cost_tree_leaf(age, ltc, dementia, cancer, ld) -> np.ndarray:
    """Leaf of the tri-borough cost regression tree (order of REFERENCE.md section 3)."""
    leaf = np.full(age.shape, -1, dtype=np.int8)
    l0, l1 = ltc == 0, ltc == 1
    young0 = l0 & (age < 74.5)
    leaf[young0 & ~ld & ~cancer] = 0
    leaf[young0 & ~ld & cancer] = 1
    leaf[young0 & ld] = 2
    leaf[l0 & (age >= 74.5) & (age < 84.5)] = 3
    leaf[l0 & (age >= 84.5)] = 4
    leaf[l1 & (age < 77.5) & ~cancer] = 5
    leaf[l1 & (age < 77.5) & cancer] = 6
    leaf[l1 & (age >= 77.5) & (age < 86.5)] = 7
    leaf[l1 & (age >= 86.5)] = 8
    l2, l3 = ltc == 2, ltc == 3
    leaf[l2 & ~dementia & ~cancer] = 9
    leaf[l2 & ~dementia & cancer] = 10
    leaf[l3 & ~dementia & ~cancer] = 11
    leaf[l3 & ~dementia & cancer] = 12
    leaf[(l2 | l3) & dementia] = 13
    leaf[(ltc == 4) & (age < 78.5)] = 14
    leaf[(ltc == 5) & (age < 78.5)] = 15
    leaf[(ltc >= 4) & (ltc <= 5) & (age >= 78.5)] = 16
    leaf[ltc >= 6] = 17
    return leaf


def by_age(table: np.ndarray, age: np.ndarray, mid: np.ndarray) -> np.ndarray:
    """A by-band table's rows at each age: linear between the ages ``mid`` (the bands' mean ages,
    ``band_mean_ages``), flat beyond the first and last. A band's own row holds at its mean age, so
    the bands' means are about kept
    while a resident of 64 no longer differs from one of 65 by a whole band's step, which ageing
    would otherwise carry into the older band each year as a drift."""
    table = np.asarray(table, float)
    if table.ndim == 1:
        return np.interp(age, mid, table)
    return np.stack([np.interp(age, mid, table[:, j]) for j in range(table.shape[1])], axis=1)


def band_bounds(p) -> tuple[np.ndarray, np.ndarray]:
    """Each age band's lower and upper age (the oldest band is as wide as the model says)."""
    lower = np.asarray(p.age_band_lower.value, float)
    return lower, np.append(lower[1:], lower[-1] + p.oldest_band_width.value)


def band_mids(p) -> np.ndarray:
    lower, upper = band_bounds(p)
    return (lower + upper) / 2


def death_rate_at(model: CareModel, age: np.ndarray) -> np.ndarray:
    """The death rate by single age that the bands' rates give: log-linear between the bands'
    mid-ages, flat below the first and on the last slope past the last (about 11% a year of age
    past 80), so that the rate rises through a band instead of stepping at its edge."""
    mid = band_mids(model.population)
    log_rate = np.log(np.asarray(model.mortality.annual_death_rate.value))
    slope = np.diff(log_rate) / np.diff(mid)
    age = np.maximum(np.asarray(age, dtype=float), mid[0])
    seg = np.clip(np.searchsorted(mid, age, side="right") - 1, 0, mid.size - 2)  # the last extends past its mid-age
    return np.exp(log_rate[seg] + slope[seg] * (age - mid[seg]))


AGE_GRID_STEP = 0.05  # years between the points of each band's age distribution
OLDEST_AGE = 110.0  # the oldest band's ages are drawn up to here (survival past it is negligible)


def _band_age_density(model: CareModel, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Band ``b``'s ages on a grid and their distribution function (``age_within_band``)."""
    lower, upper = band_bounds(model.population)
    top = max(upper[b], OLDEST_AGE) if b == lower.size - 1 else upper[b]
    grid = np.linspace(lower[b], top, max(2, round((top - lower[b]) / AGE_GRID_STEP) + 1))
    rate = death_rate_at(model, grid)
    survival = np.exp(-np.concatenate([[0.0], np.cumsum((rate[1:] + rate[:-1]) / 2 * np.diff(grid))]))
    cdf = np.concatenate([[0.0], np.cumsum((survival[1:] + survival[:-1]) / 2 * np.diff(grid))])
    return grid, cdf / cdf[-1]


def age_within_band(model: CareModel, band: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Ages within each band as in a stationary population of the model's death rates: the density
    at age x falls as survival from the band's lower age, exp(-integral of the rate). Uniform ages
    put as many people of 95 as of 86 in the oldest band; they died off and younger ones replaced
    them, so the 90-94s fell 60% and the 85-89s rose 60% in six simulated years of business as
    usual (quarter scale, seeds 3001-3002). Cohort sizes and migration are not in the shape (an
    assumption). The oldest band runs to ``OLDEST_AGE``, not to the end of its width (which sets
    only its mid-age for the death rates): cut at 97, the 95+ grew 70% as residents aged past it."""
    age = np.empty(band.shape, dtype=float)
    for b in np.unique(band):
        rows = band == b
        grid, cdf = _band_age_density(model, int(b))
        age[rows] = np.interp(u[rows], cdf, grid)
    return age


def band_mean_ages(model: CareModel) -> np.ndarray:
    """Each band's mean age under ``age_within_band``: where the population tables' rows by band
    (conditions, dementia) are pinned, so that each band keeps its row's mix on average. Pinned at
    the bands' mid-ages, the 85+ (mean age about 89.8, not 91) started with 10.3% recorded
    dementia against the table's 12%."""
    out = []
    for b in range(len(model.population.age_band_lower.value)):
        grid, cdf = _band_age_density(model, b)
        out.append(float(np.sum((grid[1:] + grid[:-1]) / 2 * np.diff(cdf))))
    return np.asarray(out)


def _ltc_counts(
    p, ltc_tab: np.ndarray, age: np.ndarray, mids: np.ndarray, u_group: np.ndarray, u_within: np.ndarray
) -> np.ndarray:
    """LTC counts by age: the table's groups (0, 1, 2-3, 4+), split within by the shares."""
    cum = by_age(np.cumsum(ltc_tab, axis=1), age, mids)
    group = (u_group[:, None] > cum).sum(axis=1)  # 0, 1, 2 (2-3), 3 (4+)
    ltc = np.choose(group, [0, 1, 2, 4]).astype(np.int8)
    ltc[(group == 2) & (u_within < p.ltc_three_within_two_three.value)] = 3
    p6, p5 = p.ltc_six_within_four_plus.value, p.ltc_five_within_four_plus.value
    ltc[(group == 3) & (u_within < p6)] = 6
    ltc[(group == 3) & (u_within >= p6) & (u_within < p6 + p5)] = 5
    return ltc


# the columns of a resident's draws in ``synthesise``: a fixed number per row from one call, so a
# resident's attributes do not depend on how many rows are drawn (sim/row_draws.py)
(U_BAND, U_AGE, U_BOROUGH, U_NETWORK, U_LTC, U_LTC_WITHIN, U_DEMENTIA, U_CANCER, U_LD, U_SMI, U_FEMALE) = range(11)
U_FRAILTY, U_SHOCK, U_UNOBSERVED, U_PLANNED = range(11, 15)
U_FREQUENT = 15  # drawn only for a model with frequent attenders (the others' draws stay as they were)
U_COLUMNS = 15


def synthesise(
    model: CareModel, n: int, rng: np.random.Generator, band: np.ndarray | None = None, newborn: bool = False
) -> Population:
    """Draw n residents whose mix follows the model's population tables; row i's attributes are
    the same whatever n is. ``band``: each one's age band (newcomers), else drawn from the shares;
    ``newborn``: ages in the first year of life."""
    p = model.population
    fa = model.crisis.frequent_attenders
    u = rng.random((n, U_COLUMNS + (fa is not None)))
    z = normal_from_uniform(u[:, U_FRAILTY:])
    lower = band_bounds(p)[0]
    share = np.asarray(p.age_band_share.value)
    if band is None:
        band = np.minimum(np.searchsorted(np.cumsum(share) / share.sum(), u[:, U_BAND], side="right"), lower.size - 1)
    age = u[:, U_AGE] if newborn else age_within_band(model, band, u[:, U_AGE])

    bshare = np.asarray(p.borough_share.value)
    borough = np.minimum(
        np.searchsorted(np.cumsum(bshare) / bshare.sum(), u[:, U_BOROUGH], side="right"), bshare.size - 1
    ).astype(np.int8)
    nets = np.asarray(p.networks_per_borough.value, dtype=int)
    offset = np.concatenate([[0], np.cumsum(nets)[:-1]])
    network = (offset[borough] + np.floor(u[:, U_NETWORK] * nets[borough])).astype(np.int16)

    ltc_tab = np.asarray(p.ltc_by_age.value)
    mids = band_mean_ages(model)
    ltc = _ltc_counts(p, ltc_tab, age, mids, u[:, U_LTC], u[:, U_LTC_WITHIN])
    many = ltc >= 2
    p_many = ltc_tab[:, 2] + ltc_tab[:, 3]
    p_dem = np.divide(np.asarray(p.dementia_prevalence.value), p_many, out=np.zeros_like(p_many), where=p_many > 0)
    dementia = many & (u[:, U_DEMENTIA] < np.minimum(by_age(p_dem, age, mids), 1.0))
    cancer = u[:, U_CANCER] < np.asarray(p.cancer_by_ltc.value)[np.minimum(ltc, 4)]
    ld = (age < p.learning_disability_max_age.value) & (u[:, U_LD] < p.learning_disability_prevalence.value)
    smi = (age >= p.smi_min_age.value) & (u[:, U_SMI] < p.smi_prevalence.value)
    female = u[:, U_FEMALE] < p.female_share.value
    frequent = u[:, U_FREQUENT] < fa.share.value if fa is not None else np.zeros(n, dtype=bool)

    sf = model.need.frailty_sigma.value
    frailty = np.exp(sf * z[:, 0] - sf * sf / 2)
    shock = model.need.shock_sigma.value * z[:, 1]

    pop = Population(
        age=age,
        female=female,
        borough=borough,
        network=network,
        ltc=ltc,
        dementia=dementia,
        cancer=cancer,
        learning_disability=ld,
        smi=smi,
        frequent=frequent,
        frailty=frailty,
        shock=shock,
    )
    _start_state(pop)
    pop.unobserved = np.ascontiguousarray(z[:, 2])
    pop.planned = np.ascontiguousarray(z[:, 3])
    update_need(pop, model)
    return pop


def _start_state(pop: Population) -> None:
    """Everyone at home, with nothing arranged and no history."""
    n = pop.size
    pop.setting = np.full(n, HOME, dtype=np.int8)
    pop.placement = np.zeros(n, dtype=np.int8)
    pop.dependent = np.zeros(n, dtype=bool)
    pop.package_hours = np.zeros(n, dtype=np.int32)
    pop.referred = np.zeros(n, dtype=np.int8)
    pop.stratum = np.full(n, -1, dtype=np.int8)
    pop.risk_score = np.zeros(n)
    pop.death_time = np.full(n, np.nan)
    pop.moved_time = np.full(n, np.nan)
    pop.person = np.arange(n, dtype=np.int64)


# what a newcomer brings to the row they take (the rest is the row's start state)
ATTRIBUTES = (
    "age", "female", "borough", "network", "ltc", "dementia", "cancer", "learning_disability", "smi",
    "frequent", "frailty", "shock", "unobserved", "planned",
)  # fmt: skip
STATE = ("setting", "placement", "dependent", "package_hours", "referred", "stratum", "risk_score")
STATE += ("death_time", "moved_time")


def take_rows(pop: Population, rows: np.ndarray, newcomers: Population, people: np.ndarray, model: CareModel) -> None:
    """Newcomers take the given rows (left by the dead or departed, or never used): their own
    attributes, the start state, new person numbers, and no history."""
    for name in ATTRIBUTES:
        getattr(pop, name)[rows] = getattr(newcomers, name)
    for name in STATE:
        getattr(pop, name)[rows] = getattr(newcomers, name)
    pop.person[rows] = people
    update_need(pop, model, rows)


def _need(pop: Population, model: CareModel, pick) -> tuple[np.ndarray, np.ndarray]:
    """Base and current need of the residents picked, from attributes, frailty and shock."""
    leaf = cost_tree_leaf(
        pop.age[pick], pop.ltc[pick], pop.dementia[pick], pop.cancer[pick], pop.learning_disability[pick]
    )
    base = np.asarray(model.need.segment_mean_cost.value)
    if model.need.segment_need_multiplier is not None:
        base = base * np.asarray(model.need.segment_need_multiplier.value)
    base = base[leaf]
    base = np.where(pop.smi[pick], base * model.need.smi_multiplier.value, base)
    return base, need_of(base, pop.frailty[pick], pop.shock[pick], model.need.shock_sigma.value)


def need_of(base: np.ndarray, frailty: np.ndarray, shock: np.ndarray, shock_sigma: float) -> np.ndarray:
    """Current need: base need times frailty times the shock's lognormal factor of mean one."""
    return base * frailty * np.exp(shock - shock_sigma * shock_sigma / 2)


def update_need(pop: Population, model: CareModel, rows: np.ndarray | None = None) -> None:
    """Recompute base and current need from attributes, frailty and shock: everyone's, or only
    these rows' (newcomers taking them; the others' are as they were). The arrays are replaced,
    never changed in place: a cache keyed on them (sim/hospital.py) sees the change."""
    if rows is None:
        pop.base_need, pop.need = _need(pop, model, slice(None))
        return
    base, need = pop.base_need.copy(), pop.need.copy()
    base[rows], need[rows] = _need(pop, model, rows)
    pop.base_need, pop.need = base, need


def frailty_normal(frailty: np.ndarray, sigma: float) -> np.ndarray:
    """The standard normal behind each lognormal frailty of mean one and log-sd ``sigma``."""
    return (np.log(np.maximum(frailty, 1e-300)) + 0.5 * sigma * sigma) / sigma


def advance_year(pop: Population, model: CareModel, rng: np.random.Generator) -> None:
    """A year passes for the living: age, new conditions, and a new need shock.

    A resident who gains an LTC gains cancer with the chance that keeps cancer's share at each
    LTC count (``cancer_by_ltc``) as counts rise. With cancer drawn only at the start, the deaths
    it hastens took it out of the old: the 85-89s' share fell from 4.3% to 2.4% in six simulated
    years (quarter scale, seeds 3001-3002)."""
    alive = pop.alive
    n = pop.size
    p = model.population
    lower = np.asarray(p.age_band_lower.value)
    pop.age[alive] += 1.0
    band = age_band(pop.age, lower)
    u = rng.random((n, 5))  # a fixed number of columns per row (sim/row_draws.py)
    eps = normal_from_uniform(u[:, 2:4])
    new_ltc = alive & (u[:, 0] < np.asarray(p.ltc_incidence.value)[band])
    by_ltc = np.asarray(p.cancer_by_ltc.value)
    before, after = by_ltc[np.minimum(pop.ltc, 4)], by_ltc[np.minimum(pop.ltc + 1, 4)]
    p_cancer = np.divide(after - before, 1.0 - before, out=np.zeros_like(before), where=before < 1.0)
    pop.cancer |= new_ltc & (u[:, 4] < p_cancer)
    pop.ltc[new_ltc] = np.minimum(pop.ltc[new_ltc] + 1, 8)
    new_dem = alive & (pop.ltc >= 2) & ~pop.dementia & (u[:, 1] < np.asarray(p.dementia_incidence.value)[band])
    pop.dementia |= new_dem
    drift_need(pop, model, eps, alive)
    update_need(pop, model)


def drift_need(pop: Population, model: CareModel, eps: np.ndarray, moving: np.ndarray) -> None:
    """A year of the need shock's and of persistent frailty's drift (each a stationary AR(1), two
    standard normals a row), so new frail people emerge as others die."""
    rho, s = model.need.shock_persistence.value, model.need.shock_sigma.value
    pop.shock = np.where(moving, rho * pop.shock + np.sqrt(1 - rho * rho) * s * eps[:, 0], pop.shock)
    phi, sf = model.need.frailty_persistence.value, model.need.frailty_sigma.value
    centred = np.log(np.maximum(pop.frailty, 1e-300)) + sf * sf / 2
    drifted = np.exp(phi * centred + np.sqrt(1 - phi * phi) * sf * eps[:, 1] - sf * sf / 2)
    pop.frailty = np.where(moving, drifted, pop.frailty)
