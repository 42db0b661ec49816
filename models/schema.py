"""The schema of a care model file: every parameter carries its value, unit and source.

A leaf parameter is a table ``{ value = ..., unit = "...", source = "..." }`` so that every number
in a model can be traced to a document or is visibly labelled an assumption. Unit costs add a
``payer`` (NHS or council). Tables indexed by age band have one value per band in
``population.age_band_lower``.
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.bounds import (
    AGE,
    CONTACT_RATE,
    ELASTICITY,
    EVENT_RATE,
    HAZARD_RATE,
    LOGIT,
    MAX_RESIDENTS,
    MULTIPLIER,
    NEED_SIGMA,
    STAY_DAYS,
    STAY_SIGMA,
    at_least,
    at_most,
    capacity_problems,
    need_rate_problems,
    positive,
)
from models.vocabulary import (
    BOROUGHS,
    CONDITIONS,
    DAYS_PER_YEAR,
    EVENT_ROLES,
    HOURS_PER_WEEK,
    HOURS_PER_YEAR,
    MECHANISMS,
    MINUTES_PER_DAY,
    ROLE_CONTACTS,
    ROLES,
    STRATA,
    TASKS,
)

# the features of the score that count a year's use (the rest are flags and attributes)
RISK_COUNTS = (
    "nel_admissions",
    "ae_attendances",
    "bed_days",
    "outpatient",
    "elective",
    "gp_contacts",
    "district_nurse",
)
RISK_FEATURES = (
    *RISK_COUNTS,
    "home_care",
    "care_home",
    "age_65_74",
    "age_75_84",
    "age_85_plus",
    "ltc_count",
    "dementia",
    "cancer",
    "learning_disability",
    "smi",
)

# how far from 1 the shares residents are drawn by may sum: numpy's own tolerance is about 1.5e-8
SHARE_TOLERANCE = 1e-9


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Documented(_Strict):
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1, description="citation, or text starting 'assumption'")


class Number(_Documented):
    value: float


class NonNegative(_Documented):
    value: float = Field(ge=0)


class Positive(_Documented):
    value: float = Field(gt=0)


class Probability(_Documented):
    value: float = Field(ge=0, le=1)


class Count(_Documented):
    value: int = Field(ge=0)


class SignedSeries(_Documented):
    """One value per category (age band, borough, LTC count...), which may be negative (a shift)."""

    value: list[float] = Field(min_length=1)


class Series(SignedSeries):
    """One non-negative value per category."""

    @field_validator("value")
    @classmethod
    def _non_negative(cls, v: list[float]) -> list[float]:
        for k, x in enumerate(v):
            if x < 0:
                raise ValueError(f"item {k} is {x}; expected a number >= 0")
        return v


class AgeProfile(SignedSeries):
    """Values at single ages, linear between them and flat beyond the first and last: for what
    varies within an age band, which a value per band would step at the band's edges."""

    ages: list[float] = Field(min_length=2)

    @model_validator(mode="before")
    @classmethod
    def _has_ages(cls, data: object) -> object:
        if isinstance(data, dict) and "value" in data and "ages" not in data:
            raise ValueError(
                "expected ages = [...] beside value, one age per value: values at single ages "
                "(linear between them), not one per age band"
            )
        return data

    @model_validator(mode="after")
    def _points(self) -> AgeProfile:
        if len(self.ages) != len(self.value):
            raise ValueError(f"has {len(self.ages)} ages and {len(self.value)} values; expected one value per age")
        if min(self.ages) < 0 or any(b <= a for a, b in zip(self.ages, self.ages[1:], strict=False)):
            raise ValueError(f"ages {self.ages}: expected ages of at least 0, each above the one before")
        return self


class ProbabilitySeries(Series):
    @field_validator("value")
    @classmethod
    def _in_unit_interval(cls, v: list[float]) -> list[float]:
        for k, x in enumerate(v):
            if x > 1:
                raise ValueError(f"item {k} is {x}; expected a probability in [0, 1]")
        return v


class Matrix(_Documented):
    """Rows of probabilities, one row per age band, each summing to 1."""

    value: list[list[float]] = Field(min_length=1)

    @field_validator("value")
    @classmethod
    def _rows_are_distributions(cls, v: list[list[float]]) -> list[list[float]]:
        for r, row in enumerate(v):
            if any(x < 0 or x > 1 for x in row):
                raise ValueError(f"row {r} has a value outside [0, 1]")
            if abs(sum(row) - 1.0) > 1e-6:
                raise ValueError(f"row {r} sums to {sum(row):.6f}; expected 1")
        return v


class UnitCost(_Documented):
    value: float = Field(ge=0)
    payer: Literal["NHS", "council"]


class Meta(_Strict):
    name: str
    description: str
    price_year: str

    @field_validator("name")
    @classmethod
    def _folder_name(cls, v: str) -> str:
        if not v or v.startswith(".") or any(c in v for c in "/\\"):
            raise ValueError(
                f"expected a scenario name, not empty, without / or \\ and not starting with '.' (got {v!r}): "
                "it names the run's folder of replications"
            )
        return v


class PopulationSpec(_Strict):
    total: Annotated[Count, at_least(1, "a run needs residents"), at_most(*MAX_RESIDENTS)]
    boroughs: list[Literal[BOROUGHS]] = Field(min_length=1)  # type: ignore[valid-type]
    borough_share: Series
    networks_per_borough: Annotated[Series, at_most(1000, "GP networks of a borough; each serves thousands")]
    age_band_lower: Annotated[Series, at_most(120, "years; no band can start above any resident's age")]
    age_band_share: Series
    oldest_band_width: Annotated[Positive, at_most(50, "years; twice the oldest band's mid-age past its start")]
    female_share: Probability
    ltc_by_age: Matrix
    ltc_three_within_two_three: Probability
    ltc_five_within_four_plus: Probability
    ltc_six_within_four_plus: Probability
    dementia_prevalence: ProbabilitySeries
    cancer_by_ltc: ProbabilitySeries
    learning_disability_prevalence: Probability
    learning_disability_max_age: Annotated[NonNegative, at_most(*AGE)]
    newcomer_reserve: Annotated[
        NonNegative, at_most(1, "rows a resident a year, held in memory from the start; no population grows so fast")
    ]
    smi_prevalence: Probability
    smi_min_age: Annotated[NonNegative, at_most(*AGE)]
    ltc_incidence: ProbabilitySeries
    dementia_incidence: ProbabilitySeries

    @field_validator("boroughs")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        twice = sorted({b for b in v if v.count(b) > 1})
        if twice:
            raise ValueError(f"expected each borough once (given more than once: {', '.join(twice)})")
        return v

    @model_validator(mode="after")
    def _shapes(self) -> PopulationSpec:
        problems: list[str] = []
        bands = len(self.age_band_lower.value)
        checks = {
            "borough_share": len(self.boroughs),
            "networks_per_borough": len(self.boroughs),
            "age_band_share": bands,
            "ltc_by_age": bands,
            "dementia_prevalence": bands,
            "ltc_incidence": bands,
            "dementia_incidence": bands,
            "cancer_by_ltc": 5,
        }
        for key, n in checks.items():
            got = len(getattr(self, key).value)
            if got != n:
                problems.append(f"{key} has {got} values; expected {n}")
        for r, row in enumerate(self.ltc_by_age.value):
            if len(row) != 4:
                problems.append(f"ltc_by_age row {r} has {len(row)} columns; expected 4 (0, 1, 2-3, 4+)")
        for key in ("borough_share", "age_band_share"):
            total = math.fsum(getattr(self, key).value)
            if abs(total - 1) > SHARE_TOLERANCE:  # residents are drawn with these as probabilities
                problems.append(f"{key} must sum to 1 within {SHARE_TOLERANCE:g} (sums to {total!r})")
        lower = self.age_band_lower.value
        if lower[0] != 0 or any(b <= a for a, b in itertools.pairwise(lower)):
            problems.append("age_band_lower must start at 0 and increase")
        if problems:
            raise ValueError("\n".join(problems))
        return self


class Need(_Strict):
    segment_mean_cost: Annotated[
        Series,
        positive("need is a leaf's cost times frailty and shock, and divided by it; a leaf of no cost has no need"),
        at_most(1_000_000, "GBP a year per person, the mean of a whole cost-tree leaf"),
    ]
    # fitted: scales each leaf's need so that its simulated mean cost meets the tree (None = 1)
    segment_need_multiplier: Annotated[Series | None, at_most(*MULTIPLIER)] = None
    smi_multiplier: Annotated[Positive, at_most(*MULTIPLIER)]
    frailty_sigma: Annotated[NonNegative, at_most(*NEED_SIGMA)]
    frailty_persistence: Probability
    shock_sigma: Annotated[NonNegative, at_most(*NEED_SIGMA)]
    shock_persistence: Probability
    reference: Annotated[
        Positive,
        at_least(1, "GBP a year: rates are given for a resident of this need, and scale with need over it"),
        at_most(1_000_000, "GBP a year: rates are given for a resident of this need"),
    ]
    # planned hospital care (outpatient, elective) follows specific conditions (cancer, joints,
    # eyes) more than frailty: a persistent lognormal propensity of mean one per resident, off
    # unless set, multiplies those two rates
    planned_care_sigma: Annotated[NonNegative | None, at_most(*NEED_SIGMA)] = None
    # how far that propensity follows the resident's persistent frailty (the correlation of its log
    # with frailty's): off unless set, and only with planned_care_sigma
    planned_care_frailty_correlation: Probability | None = None
    # the starting residents' frailty, by single age, where business as usual's own dynamics keep
    # it (deaths take the frailest old, the healthier young move out more than newcomers replace):
    # added to frailty's standard normal at the start only (None = 0)
    frailty_start_shift: Annotated[
        AgeProfile | None, at_least(-1, "sd of frailty's normal"), at_most(1, "sd of frailty's normal")
    ] = None

    @model_validator(mode="after")
    def _segments(self) -> Need:
        rho = self.planned_care_frailty_correlation
        if rho is not None and rho.value > 0:
            # a planned-care sd of 0 is accepted (the propensity is off, the correlation moot),
            # as a fit may take the sd to that bound
            if self.planned_care_sigma is None:
                raise ValueError("planned_care_frailty_correlation needs planned_care_sigma (what it shapes)")
            if self.frailty_sigma.value == 0:
                raise ValueError("planned_care_frailty_correlation needs frailty_sigma above 0 (what it follows)")
        if len(self.segment_mean_cost.value) != 18:
            raise ValueError("segment_mean_cost needs the 18 leaves of the cost tree")
        m = self.segment_need_multiplier
        if m is not None and (len(m.value) != 18 or min(m.value) <= 0):
            raise ValueError("segment_need_multiplier needs 18 positive multipliers, one per cost-tree leaf")
        return self


class Hazard(_Strict):
    """Annual rate for a person whose need equals the reference, and its elasticity to need.

    With ``leaf_elasticity`` the rate follows the cost-tree leaf's need (conditions and age) with
    that elasticity and the person's own frailty and shock with ``elasticity``; without it, one
    elasticity applies to need as a whole."""

    rate: Annotated[NonNegative, at_most(*HAZARD_RATE)]
    elasticity: Annotated[NonNegative, at_most(*ELASTICITY)]
    leaf_elasticity: Annotated[NonNegative | None, at_most(*ELASTICITY)] = None


class CrisisTiming(_Strict):
    """Crises by hour of the day (midnight first) and day of the week (Monday first) as relative
    weights (sim/arrival_clock.py); without it crises are uniform over the day and the week."""

    hour: Series
    day: Series

    @model_validator(mode="after")
    def _shape(self) -> CrisisTiming:
        problems = []
        for key, n, what in (("hour", 24, "one per hour from midnight"), ("day", 7, "one per day from Monday")):
            v = getattr(self, key).value
            if len(v) != n:
                problems.append(f"{key} has {len(v)} values; expected {n} ({what})")
            elif min(v) <= 0:
                problems.append(f"{key} has a weight of {min(v)}; every hour and day has some crises (expected > 0)")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class FrequentAttenders(_Strict):
    """A small, persistent group of adults whose crises come far more often than their need
    carries (serious mental illness, substance misuse, sickle cell and the like): the heavy users
    under 65 who concentrate a year's admissions without carrying the old's into the next."""

    share: Probability
    min_age: Annotated[NonNegative, at_most(*AGE)]
    max_age: Annotated[NonNegative, at_most(*AGE)]
    multiplier: Annotated[Positive, at_most(*MULTIPLIER)]

    @model_validator(mode="after")
    def _ages(self) -> FrequentAttenders:
        if self.max_age.value <= self.min_age.value:
            raise ValueError(
                f"max_age is {self.max_age.value}, not above min_age {self.min_age.value} (expected an age range)"
            )
        return self


class Crisis(_Strict):
    hazard: Hazard
    # crises are drawn for everyone at the highest rate any setting has, so this multiplies the work
    care_home_multiplier: Annotated[NonNegative, at_most(*MULTIPLIER)]
    age_multiplier: Annotated[Series, at_most(*MULTIPLIER)]
    fall_share: ProbabilitySeries
    timing: CrisisTiming | None = None
    frequent_attenders: FrequentAttenders | None = None
    # added to the hazard's leaf elasticity for residents under 65 (vocabulary.OLDER_AGE): among the
    # young a long-term condition marks out who is admitted far more than among the old, whose age
    # and frailty carry most of the risk; the 65+'s crises, and so Roland's rows, are left as they
    # are (HES's ratios move with the under-65s' rate). Off unless set.
    under_65_leaf_shift: Annotated[NonNegative | None, at_most(*ELASTICITY)] = None


class AccessPointSpec(_Strict):
    share_of_crises: Probability
    triage_lines: Count
    triage_minutes: Annotated[Positive, at_most(MINUTES_PER_DAY, "minutes; a triage call takes less than a day")]
    p_advice: Probability
    p_rapid_response: Probability


class RapidResponseSpec(_Strict):
    min_age: Annotated[NonNegative, at_most(*AGE)]
    travel_minutes: Annotated[
        Positive, at_most(MINUTES_PER_DAY, "minutes; a journey in a borough takes less than a day")
    ]
    visit_hours: Annotated[Positive, at_most(24, "hours; a visit takes less than a day")]
    target_hours: Annotated[Positive, at_most(HOURS_PER_WEEK, "hours; a response target within a week")]
    p_home: Probability
    # a crisis an intervention diverts here, which A&E would have admitted: the trials of care at
    # home took selected patients, so an unselected severe crisis is kept home less often
    p_home_if_admitted: Probability
    p_virtual_ward: Probability


class VirtualWardSpec(_Strict):
    places: Series
    mean_stay_days: Annotated[Positive, at_most(*STAY_DAYS)]
    p_escalate: Probability
    p_escalate_if_admitted: Probability  # a diverted crisis A&E would have admitted (RapidResponseSpec)


class EmergencyDepartmentSpec(_Strict):
    """One A&E for the hospital's population: majors for the crises that reach it, minors for the
    routine minor attendances; each stream's cubicles and clinician hours are its capacity."""

    majors_cubicles: Annotated[Count, at_least(1, "every crisis that reaches A&E needs a cubicle")]
    majors_clinician_hours: Annotated[Positive, at_least(HOURS_PER_YEAR, "hours a year: a clinician on duty")]
    majors_treatment_hours: Annotated[Positive, at_most(24, "hours; assessment and treatment take less than a day")]
    majors_treatment_sigma: Annotated[NonNegative, at_most(*STAY_SIGMA)]
    majors_clinician_minutes: Annotated[Positive, at_most(MINUTES_PER_DAY, "minutes of a clinician's time")]
    minors_cubicles: Annotated[Count, at_least(1, "every minor attendance needs a cubicle")]
    minors_clinician_hours: Annotated[Positive, at_least(HOURS_PER_YEAR, "hours a year: a clinician on duty")]
    minors_treatment_hours: Annotated[Positive, at_most(24, "hours; assessment and treatment take less than a day")]
    minors_treatment_sigma: Annotated[NonNegative, at_most(*STAY_SIGMA)]
    minors_clinician_minutes: Annotated[Positive, at_most(MINUTES_PER_DAY, "minutes of a clinician's time")]
    standard_hours: Annotated[Positive, at_most(24, "hours from arrival to admission, transfer or discharge")]


class Decommissioning(_Strict):
    """Beds closed once a reported year's mean occupancy falls below a stated level, down to as many
    as would run at that level, from the start of the year ``lag_years`` later (sim/decommissioning.py).
    Closing them is how bed days freed become cash: each closed bed's year at unit_costs.bed_day."""

    below_occupancy: Probability
    lag_years: Annotated[
        Count,
        at_least(1, "a closure decided at a year's end takes effect a year later at the soonest"),
        at_most(10, "years"),
    ]


class HospitalSpec(_Strict):
    beds: Annotated[Count, at_least(1, "every admission needs a bed; with none, admissions would only queue")]
    p_admit: ProbabilitySeries
    mean_los_days: Annotated[
        Series, positive("a stay's length is lognormal about this mean, and its log is taken"), at_most(*STAY_DAYS)
    ]
    los_sigma: Annotated[NonNegative, at_most(*STAY_SIGMA)]
    los_need_elasticity: Annotated[NonNegative, at_most(*ELASTICITY)]
    tariff_trim_days: Annotated[NonNegative, at_most(*STAY_DAYS)]
    discharge: Matrix
    decommission: Decommissioning | None = None  # none: beds stay open, freed bed days stay capacity


class SocialWorkSpec(_Strict):
    assessment_hours: Annotated[Positive, at_most(HOURS_PER_WEEK, "hours of a social worker's time per assessment")]
    arrangement_days: Annotated[NonNegative, at_most(*STAY_DAYS)]


class HomeCareSpec(_Strict):
    hours_capacity: Series
    package_hours_mean: Annotated[Positive, at_most(HOURS_PER_WEEK, "hours a week, of which a week has 168")]
    package_hours_need_elasticity: Annotated[NonNegative, at_most(*ELASTICITY)]
    package_hours_max: Annotated[
        Positive,
        at_least(1, "a package is whole hours a week; a cap below one hour would make packages of no hours"),
        at_most(HOURS_PER_WEEK, "hours a week, of which a week has 168"),
    ]
    referral: Hazard
    end_rate: Annotated[NonNegative, at_most(*EVENT_RATE)]


class ReablementSpec(_Strict):
    places: Series
    duration_days: Annotated[Positive, at_most(*STAY_DAYS)]
    p_package: Probability


class CareHomesSpec(_Strict):
    residential_places: Count
    nursing_places: Count
    p_nursing: Probability
    entry: Hazard
    dementia_entry_multiplier: Positive
    entry_age_multiplier: Annotated[Series, at_most(*MULTIPLIER)]
    min_age: Annotated[NonNegative, at_most(*AGE)]
    onset_with_crisis: Probability


class Mortality(_Strict):
    """Each resident's own death hazard, whatever setting they are in (sim/hazards.py)."""

    annual_death_rate: Annotated[
        ProbabilitySeries, positive("the rate rises log-linearly with age between the bands' mid-ages")
    ]
    male_multiplier: Annotated[
        Series, positive("the female hazard is the band's rate divided by a mix of one and this"), at_most(*MULTIPLIER)
    ]
    need_elasticity: Annotated[NonNegative, at_most(*ELASTICITY)]
    dependent_death_rate: Annotated[NonNegative, at_most(*EVENT_RATE)]
    terminal_share: ProbabilitySeries
    terminal_days: Annotated[Positive, at_most(*STAY_DAYS)]


class EpisodeSize(_Documented):
    value: float = Field(ge=1)


class Contact(_Strict):
    """A routine contact accrued in bulk from its rate.

    With ``episode_size`` contacts come in episodes (a referral's first appointment and its
    follow-ups) of that mean size, so fewer people have more contacts each than plain Poisson
    counts give; the mean is unchanged."""

    rate: Annotated[NonNegative, at_most(*CONTACT_RATE)]
    elasticity: Annotated[NonNegative, at_most(*ELASTICITY)]
    leaf_elasticity: Annotated[NonNegative | None, at_most(*ELASTICITY)] = None
    episode_size: Annotated[EpisodeSize | None, at_most(100, "contacts in an episode of care")] = None
    # contacts that follow each elective admission of the year (rehabilitation, wound care and
    # follow-up after a procedure), on top of the rate: per admission, whatever the setting (not
    # scaled by care_home_multiplier), in episodes where episode_size is set; off unless set, and
    # only for kinds no modelled workforce delivers
    per_elective: Annotated[NonNegative | None, at_most(100, "contacts after one elective admission")] = None
    care_home_multiplier: Annotated[NonNegative, at_most(*MULTIPLIER)]
    minutes: Annotated[NonNegative, at_most(8 * 60, "minutes of a role's time per contact; more than a working day")]


class RoutineContacts(_Strict):
    gp: Contact
    practice_nurse: Contact
    district_nurse: Contact
    outpatient: Contact
    elective: Contact
    ae_minor: Contact
    other_social_care: Contact
    other_community: Contact

    @model_validator(mode="after")
    def _follow_ups(self) -> RoutineContacts:
        if self.elective.per_elective is not None and self.elective.per_elective.value > 0:
            raise ValueError("elective.per_elective must be 0 or absent: electives cannot follow themselves")
        for name in ROLE_CONTACTS:  # their hours are asked of a workforce from the rates alone
            after = getattr(self, name).per_elective
            if after is not None and after.value > 0:
                raise ValueError(
                    f"{name}.per_elective must be 0 or absent: contacts after electives are not asked "
                    f"of the {name} workforce's hours (sim/routine.period_demand_hours)"
                )
        return self


class Risk(_Strict):
    strata_share: Series
    intercept: Annotated[Number, at_least(-LOGIT[0], LOGIT[1]), at_most(*LOGIT)]
    weights: dict[Literal[RISK_FEATURES], Annotated[Number, at_least(-LOGIT[0], LOGIT[1]), at_most(*LOGIT)]]  # type: ignore[valid-type]
    # what the real score sees and the simulation does not hold (diagnoses beyond its conditions,
    # deprivation, coding): a persistent normal term per resident, off unless set
    unobserved_sigma: Annotated[NonNegative | None, at_most(10, "the spread of the score's hidden term")] = None
    # the most of a year's use the score counts, by feature (a real tool bands its counts, so a
    # heavy user's score stops rising); USE_COUNTED_UP_TO (sim/risk.py) where not set
    counted_up_to: dict[Literal[RISK_COUNTS], Positive] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _shares(self) -> Risk:
        problems: list[str] = []
        if len(self.strata_share.value) != len(STRATA):
            problems.append(f"strata_share needs {len(STRATA)} values, one per stratum")
        if abs(sum(self.strata_share.value) - 1) > 1e-6:
            problems.append("strata_share must sum to 1")
        if problems:
            raise ValueError("\n".join(problems))
        return self


class RotaSpec(_Strict):
    """Staff on duty by hour of the day, on weekdays and at weekends, as relative weights: the
    role's FTE times its productive hours are spread over the week's hours in proportion, so a rota
    moves the same hours of work to the hours it names (sim/rotas.py)."""

    weekday: Series
    weekend: Series

    @model_validator(mode="after")
    def _hours(self) -> RotaSpec:
        problems = [
            f"{day} has {len(getattr(self, day).value)} values; expected 24 (one per hour from midnight)"
            for day in ("weekday", "weekend")
            if len(getattr(self, day).value) != 24
        ]
        if not problems and sum(self.weekday.value) * 5 + sum(self.weekend.value) * 2 <= 0:
            problems.append("weekday and weekend are all zero; a rota needs someone on duty in some hour")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Role(_Strict):
    fte: Series
    productive_hours: Annotated[Positive, at_most(HOURS_PER_YEAR, "hours a year an FTE works; a year has 8,760")]
    cost_per_fte: UnitCost
    costed: Literal["activity", "fte"] = Field(
        description="activity: paid through the unit costs of what the role does; "
        "fte: paid as FTE x cost_per_fte (reported as cost_workforce)"
    )
    tasks: list[Literal[TASKS]]  # type: ignore[valid-type]
    # a bulk role's backlog: hours still unserved after this long are given up (none if not set)
    give_up_days: Annotated[Positive, at_most(*STAY_DAYS)] | None = None
    # who is on duty when (event roles only): without one, the FTE's hours are on duty round the clock
    rota: RotaSpec | None = None


class IntermediateCareSpec(_Strict):
    places: Series
    mean_stay_days: Annotated[Positive, at_most(*STAY_DAYS)]
    p_escalate: Probability
    p_escalate_if_admitted: Probability  # a diverted crisis A&E would have admitted (RapidResponseSpec)


# ----- interventions --------------------------------------------------------------------------------
class Effect(_Strict):
    """An effect sampled once per replication: fixed, uniform(low, high) or triangular(low, mode, high)."""

    distribution: Literal["fixed", "uniform", "triangular"]
    value: float | None = None
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _parameters(self) -> Effect:
        need = {"fixed": ("value",), "uniform": ("low", "high"), "triangular": ("low", "mode", "high")}
        missing = [k for k in need[self.distribution] if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.distribution} effect needs {', '.join(missing)}")
        if self.distribution == "uniform" and not self.low <= self.high:
            raise ValueError("uniform effect needs low <= high")
        if self.distribution == "triangular" and not self.low <= self.mode <= self.high:
            raise ValueError("triangular effect needs low <= mode <= high")
        return self

    def bounds(self) -> tuple[float, float]:
        if self.distribution == "fixed":
            return self.value, self.value
        return self.low, self.high


CEILING_ONE = "care_home_entry"  # the one hazard target whose multiplier cannot pass 1 (see Mechanism)


class Mechanism(_Strict):
    kind: Literal[tuple(MECHANISMS)]  # type: ignore[valid-type]
    target: str
    effect: Effect
    # a source showing this effect adds to other interventions' on the same target; without one,
    # several effects on a target are held within the strongest one's range (sim/interventions.py)
    additivity: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _target(self) -> Mechanism:
        targets = MECHANISMS[self.kind]
        if self.target not in targets:
            raise ValueError(
                f"target {self.target!r} is not a target of a {self.kind} mechanism; "
                f"expected one of {', '.join(targets)}"
            )
        lo, hi = self.effect.bounds()
        if self.kind in ("hazard", "shorten") and lo < 0:
            raise ValueError(f"a {self.kind} effect is a multiplier and must be >= 0")
        if self.kind in ("divert", "end_of_life") and not (lo >= 0 and hi <= 1):
            raise ValueError(f"a {self.kind} effect is a probability and must lie in [0, 1]")
        if self.target == CEILING_ONE and hi > 1:
            raise ValueError(
                f"a {CEILING_ONE} effect is at most 1: every need for 24-hour care already leads to a place, "
                f"so more has nothing to act on (got high {hi:g})"
            )
        return self


class Eligibility(_Strict):
    strata: list[Literal[STRATA]] = Field(min_length=1)  # type: ignore[valid-type]
    min_age: Annotated[float, Field(ge=0), at_most(*AGE)] = 0
    max_age: float = Field(default=200, ge=0)
    conditions: list[Literal[CONDITIONS]] = []  # type: ignore[valid-type]
    settings: list[Literal["home", "care_home"]] = Field(default=["home"], min_length=1)
    # case finding on prior use: emergency admissions in the 12 months before the year's start
    min_prior_admissions: int = Field(default=0, ge=0, le=50)
    boroughs: list[str] = []  # none: every borough
    networks: list[Annotated[int, Field(ge=0)]] = []  # GP networks, numbered across boroughs; none: every one
    # a risk-score cut: the top share of all residents by the model's risk score at the year's start
    top_risk_share: Annotated[float, Field(gt=0, le=1)] | None = None


class WorkforceNeed(_Strict):
    """What enrolment needs of a role: a caseload per FTE (caps enrolment) or hours a week per person."""

    role: Literal[ROLES]  # type: ignore[valid-type]
    task: Literal[TASKS]  # type: ignore[valid-type]
    caseload_per_fte: Annotated[
        float | None,
        positive("people one FTE can carry"),
        at_most(10_000, "people one FTE can carry; more is not a caseload"),
    ] = None
    hours_per_person_week: Annotated[
        float | None,
        positive("hours a week each enrolled person needs; a need of no hours would not limit enrolment"),
        at_most(HOURS_PER_WEEK, "hours a week each enrolled person needs, of which a week has 168"),
    ] = None
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_measure(self) -> WorkforceNeed:
        if (self.caseload_per_fte is None) == (self.hours_per_person_week is None):
            raise ValueError("give exactly one of caseload_per_fte or hours_per_person_week")
        return self


class InterventionCosts(_Strict):
    set_up: UnitCost
    per_year: UnitCost
    per_person: UnitCost


class Intervention(_Strict):
    description: str = Field(min_length=1)
    component: str = Field(min_length=1)
    eligibility: Eligibility
    uptake: Probability
    start_year: int = Field(ge=1)
    ramp_years: float = Field(ge=0)
    mechanisms: list[Mechanism] = Field(min_length=1)
    workforce: list[WorkforceNeed] = []
    costs: InterventionCosts
    evidence: str = Field(min_length=1)
    # open: who is eligible is judged again every year; closed: a pilot's cohort, chosen in the start
    # year and kept (while alive and resident) whatever their use does next
    cohort: Literal["open", "closed"] = "open"
    # "null": evaluated and no effect found; "assumption": a case's own figure, not evidence
    evidence_strength: Literal["strong", "moderate", "weak", "null", "assumption"]

    @model_validator(mode="after")
    def _null_spans_no_effect(self) -> Intervention:
        """A null result is a range around no effect, reaching both benefit and harm: a multiplier's
        range holds 1 strictly inside it, a probability's starts at 0 (none diverted)."""
        if self.evidence_strength != "null":
            return self
        for k, m in enumerate(self.mechanisms):
            lo, hi = m.effect.bounds()
            if m.target == CEILING_ONE and not lo < 1 <= hi:
                raise ValueError(
                    f"mechanisms.{k}: evidence_strength null needs a range from below 1 up to 1, no effect "
                    f"(got {lo:g} to {hi:g})"
                )
            if m.kind in ("hazard", "shorten") and m.target != CEILING_ONE and not lo < 1 < hi:
                raise ValueError(
                    f"mechanisms.{k}: evidence_strength null needs a range around no effect, low below 1 and "
                    f"high above it (got {lo:g} to {hi:g}); a null result is not one that can only help"
                )
            if m.kind in ("divert", "end_of_life") and lo > 0:
                raise ValueError(
                    f"mechanisms.{k}: evidence_strength null needs a range from 0, no effect (got low {lo:g})"
                )
        return self


class UnitCosts(_Strict):
    nel_admission: UnitCost
    excess_bed_day: UnitCost
    bed_day: UnitCost  # a bed day's cost to the trust: what a bed day freed is worth as capacity
    ae_attendance: UnitCost
    ae_trolley_hour: UnitCost
    outpatient: UnitCost
    elective: UnitCost
    gp_contact: UnitCost
    practice_nurse_contact: UnitCost
    district_nurse_contact: UnitCost
    access_point_call: UnitCost
    rr_episode: UnitCost
    vw_day: UnitCost
    intermediate_care_day: UnitCost
    sc_hour: UnitCost
    residential_day: UnitCost
    nursing_day: UnitCost
    reablement_episode: UnitCost
    sw_assessment: UnitCost
    other_social_care_unit: UnitCost
    other_community_contact: UnitCost


GROWTH = (-0.1, "a year; a population changing by a tenth a year is not a projection")


class Demography(_Strict):
    """Births and moves in and out each year start, holding each age band to the projection
    (sim/demography.py)."""

    birth_rate: Annotated[NonNegative, at_most(0.1, "births per resident-year; no population bears more")]
    out_migration_rate: Annotated[ProbabilitySeries, at_most(0.9, "a year; nine in ten leaving is no population")]
    mover_need_elasticity: Annotated[Number, at_least(-ELASTICITY[0], ELASTICITY[1]), at_most(*ELASTICITY)]
    in_migrant_frailty: Annotated[Positive, at_most(*MULTIPLIER)]
    growth: Annotated[Series, at_least(*GROWTH), at_most(-GROWTH[0], GROWTH[1])]


class InitialState(_Strict):
    care_home_occupancy: Probability
    home_care_utilisation: Probability


class Run(_Strict):
    warmup_years: Annotated[
        Count,
        at_most(10, "every warm-up year is simulated in full; one or two fill the risk tool's 12-month look-back"),
    ]
    periods_per_year: Annotated[
        Count,
        at_least(1, "routine contacts and community events are drawn once a period"),
        at_most(DAYS_PER_YEAR, "a period shorter than a day adds time and no detail"),
    ]


class CalibrationTarget(_Strict):
    name: str
    target: float
    achieved: float
    tolerance: float
    within: bool


class CalibrationRecord(_Strict):
    """How the free parameters were fitted: written by `wsic calibrate`, read by people."""

    status: str
    fitted_on: str | None = None
    code_version: str | None = None
    seeds: list[int] = []
    scale: float | None = None
    reps: int | None = None
    evaluations: int | None = None
    objective: float | None = None
    method: str | None = None  # how the values were reached, where more than one run of the fit
    free: list[str] | None = None  # the parameters this fit moved (wsic calibrate --free); None: every default one
    leaf_steps: int | None = Field(None, ge=0)  # the leaves' fixed-point steps a round (0: the leaves held)
    # the scale whose results a fit aimed at, by a gap measured each round; fits no longer do
    # (a sample's capacities are full size), but a file from an earlier fit records it
    correct_to_scale: float | None = None
    check_scale: float | None = None
    check_reps: int | None = None
    check_seed: int | None = None  # the check's first seed
    targets: list[CalibrationTarget] = []


class StatedCase(_Strict):
    """What a business case states of itself, which the report sets beside what the simulation
    gives for the same model (models/business_case.toml)."""

    gross_savings: Number
    investment: Number
    net_savings: Number
    horizon_years: Annotated[Count, at_least(1, "years"), at_most(50, "years")]


class CareModel(_Strict):
    """A whole care model: what is simulated, with every parameter documented."""

    meta: Meta
    run: Run
    initial_state: InitialState
    population: PopulationSpec
    need: Need
    crisis: Crisis
    access_point: AccessPointSpec
    rapid_response: RapidResponseSpec
    virtual_ward: VirtualWardSpec
    intermediate_care: IntermediateCareSpec
    emergency_department: EmergencyDepartmentSpec
    hospital: HospitalSpec
    social_work: SocialWorkSpec
    home_care: HomeCareSpec
    reablement: ReablementSpec
    care_homes: CareHomesSpec
    mortality: Mortality
    demography: Demography
    routine_contacts: RoutineContacts
    risk: Risk
    workforce: dict[Literal[ROLES], Role]  # type: ignore[valid-type]
    unit_costs: UnitCosts
    interventions: dict[str, Intervention] = {}
    calibration: CalibrationRecord | None = None
    stated: StatedCase | None = None  # a business case's own figures, for the report to compare

    @model_validator(mode="after")
    def _cross_checks(self) -> CareModel:
        problems: list[str] = []
        bands = len(self.population.age_band_lower.value)
        nb = len(self.population.boroughs)
        per_band = {
            "hospital.p_admit": self.hospital.p_admit,
            "hospital.mean_los_days": self.hospital.mean_los_days,
            "hospital.discharge": self.hospital.discharge,
            "mortality.annual_death_rate": self.mortality.annual_death_rate,
            "mortality.terminal_share": self.mortality.terminal_share,
            "mortality.male_multiplier": self.mortality.male_multiplier,
            "care_homes.entry_age_multiplier": self.care_homes.entry_age_multiplier,
            "demography.out_migration_rate": self.demography.out_migration_rate,
            "demography.growth": self.demography.growth,
            "crisis.age_multiplier": self.crisis.age_multiplier,
            "crisis.fall_share": self.crisis.fall_share,
        }
        for key, item in per_band.items():
            if item is not None and len(item.value) != bands:
                problems.append(f"{key} has {len(item.value)} values; expected {bands} (one per age band)")
        for key, item in {
            "virtual_ward.places": self.virtual_ward.places,
            "intermediate_care.places": self.intermediate_care.places,
            "home_care.hours_capacity": self.home_care.hours_capacity,
            "reablement.places": self.reablement.places,
        }.items():
            if len(item.value) != nb:
                problems.append(f"{key} has {len(item.value)} values; expected {nb} (one per borough)")
        for role, spec in self.workforce.items():
            if len(spec.fte.value) != nb:
                problems.append(f"workforce.{role}.fte has {len(spec.fte.value)} values; expected {nb}")
            if spec.rota is not None and role not in EVENT_ROLES:
                problems.append(
                    f"workforce.{role}.rota: only roles simulated visit by visit ({', '.join(EVENT_ROLES)}) "
                    "have a rota; this role's hours are a caseload or a period's supply"
                )
        for r, row in enumerate(self.hospital.discharge.value):
            if len(row) != 4:
                problems.append(
                    f"hospital.discharge row {r} has {len(row)} columns; "
                    "expected 4 (home, package, reablement, care home)"
                )
        ap = self.access_point
        if ap.p_advice.value + ap.p_rapid_response.value > 1:
            problems.append("access_point.p_advice + p_rapid_response must not exceed 1")
        rr = self.rapid_response
        for key in ("p_home", "p_home_if_admitted"):
            if getattr(rr, key).value + rr.p_virtual_ward.value > 1:
                problems.append(f"rapid_response.{key} + p_virtual_ward must not exceed 1")
        for name, iv in self.interventions.items():
            for k, need in enumerate(iv.workforce):
                if need.role in EVENT_ROLES:
                    problems.append(
                        f"interventions.{name}.workforce.{k}: {need.role} time is simulated visit by visit; "
                        "give the intervention a divert mechanism to that service instead"
                    )
                role = self.workforce.get(need.role)
                if role is not None and need.task not in role.tasks:
                    problems.append(
                        f"interventions.{name}.workforce.{k} asks {need.role} for {need.task!r}, "
                        f"which is not among its tasks ({', '.join(role.tasks)})"
                    )
            if iv.eligibility.min_age > iv.eligibility.max_age:
                problems.append(f"interventions.{name}.eligibility min_age exceeds max_age")
            for b in iv.eligibility.boroughs:
                if b not in self.population.boroughs:
                    problems.append(
                        f"interventions.{name}.eligibility.boroughs: {b!r} is not a borough "
                        f"({', '.join(self.population.boroughs)})"
                    )
            networks = sum(self.population.networks_per_borough.value)
            for k, net in enumerate(iv.eligibility.networks):
                if net >= networks:
                    problems.append(
                        f"interventions.{name}.eligibility.networks.{k}: network {net} does not exist "
                        f"(the model has {networks}, numbered 0 to {networks - 1} across boroughs)"
                    )
        missing = set(ROLES) - set(self.workforce)
        if missing:
            problems.append(f"workforce is missing roles: {', '.join(sorted(missing))}")
        if not problems:  # the checks below assume the shapes checked above
            problems += capacity_problems(self) + need_rate_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self
