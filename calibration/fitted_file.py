"""The fitted-parameter file that models/baseline.toml extends: every value the fit sets, with its
unit and source, and the record of how it was fitted, written as TOML by tomlkit.

Values are written in full (shortest round-tripping) precision: a parameter rounded to six digits
moves a few residents across a threshold, and the cascade shifts a stratum's cost by up to 1%, so
the file would no longer reproduce the figures recorded in it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tomlkit
from tomlkit.items import InlineTable, Table

from calibration import leaves
from calibration.parameters import DEFAULT_FREE, NAMES, UNITS, fitted_values, setters
from experiments.files import write_text
from models.vocabulary import CONTACTS

HEADER = (
    "The free parameters of business as usual, fitted by `wsic calibrate` to the tri-borough 2010/11",
    "risk-strata table, its totals and the cost tree (calibration/data). baseline.toml extends this",
    "file; every other parameter lives there. Rewritten by each calibration run.",
)
# the file's tables, in the order written; a value belongs to the longest that prefixes its path
SECTIONS = (
    "need", "risk", "risk.weights", "crisis", "crisis.frequent_attenders", "routine_contacts", "home_care",
    "care_homes", "initial_state",
)  # fmt: skip
LEAF_MULTIPLIERS = "need.segment_need_multiplier"
# routine contacts' rates and elasticities live in this file, fitted or not; one the fit does not set
# is kept with its own unit and source (a care-home multiplier it does not set lives in baseline.toml)
CONTACT_KEYS = ("rate", "elasticity", "leaf_elasticity", "care_home_multiplier", "per_elective")
KEPT_CONTACT_KEYS = ("rate", "elasticity", "leaf_elasticity")
RECORD_KEYS = (
    "status",
    "fitted_on",
    "code_version",
    "seeds",
    "scale",
    "reps",
    "evaluations",
    "objective",
    "method",
    "free",
    "leaf_steps",
    "correct_to_scale",
    "check_scale",
    "check_reps",
    "check_seed",
)
TARGET_KEYS = ("name", "target", "achieved", "tolerance", "within")


FITTED_BY = "fitted by wsic calibrate"


def source(record: dict) -> str:
    """The source every fitted value carries: when, to what and on which runs it was fitted."""
    return (
        f"{FITTED_BY} on {record['fitted_on']} to calibration/data (2010/11), "
        f"scale {record['scale']}, seeds {record['seeds']}"
    )


HELD = "assumption: held fixed in the fit (not among the free parameters of wsic calibrate)"


def held_source(prior: dict | None) -> str:
    """The source of a value the fit did not move: its own, unless that wrongly says the fit chose
    it (or will: "to calibrate" marks the free parameters)."""
    own = (prior or {}).get("source", "")
    wrong = not own or own.startswith((FITTED_BY, "assumption (to calibrate)"))
    return HELD if wrong else own


def _earlier_fit(prior: dict | None) -> bool:
    return (prior or {}).get("source", "").startswith(FITTED_BY)


def entries(data: dict, x: np.ndarray, record: dict, free: tuple[int, ...] = DEFAULT_FREE) -> dict[str, dict]:
    """Every parameter the file holds, by dotted path, each a {value, unit, source} table. Only a
    value that a free parameter of the fit set says it was fitted."""
    note = source(record)
    chosen = {NAMES[k] for k in free}
    out = {}
    for path, v in fitted_values(data, x).items():
        value = [float(a) for a in v] if isinstance(v, list) else float(v)
        if any(name in chosen for name in setters(path)):
            label = note
        elif setters(path) and _earlier_fit(_at(data, path)):
            label = _at(data, path)["source"]  # a free parameter this fit held where an earlier one put it
        else:
            label = held_source(_at(data, path))
        out[path] = {"value": value, "unit": UNITS[path], "source": label}
    leaf_label = note
    if record.get("leaf_steps") == 0:  # a fit that held the leaves: an earlier fit's label, or held
        prior = _at(data, LEAF_MULTIPLIERS)
        leaf_label = prior["source"] if _earlier_fit(prior) else held_source(prior)
    out[LEAF_MULTIPLIERS] = {
        "value": [float(v) for v in leaves.multipliers(data)],
        "unit": leaves.UNIT,
        "source": leaf_label,
    }
    contacts = data["routine_contacts"]
    for name in CONTACTS:
        for key in KEPT_CONTACT_KEYS:
            path = f"routine_contacts.{name}.{key}"
            kept = contacts[name].get(key)
            if path not in out and kept is not None:
                out[path] = {"value": kept["value"], "unit": kept["unit"], "source": held_source(kept)}
    return out


def _at(data: dict, path: str) -> dict | None:
    """The {value, unit, source} table at a dotted path of the model data, if there is one."""
    node = data
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, dict) else None


def section_of(path: str) -> str:
    """The file's table a value is written under."""
    held = [s for s in SECTIONS if path.startswith(f"{s}.")]
    if not held:
        raise ValueError(f"{path}: not in any of the fitted file's tables ({', '.join(SECTIONS)})")
    return max(held, key=len)


def _ordered(values: dict[str, dict]) -> list[tuple[str, dict]]:
    """The values in the file's order: by table, routine contacts by contact and key, the rest as given."""
    contacts = [f"routine_contacts.{n}.{k}" for n in CONTACTS for k in CONTACT_KEYS]
    rank = {path: k for k, path in enumerate(contacts)}
    unknown = [p for p in values if section_of(p) == "routine_contacts" and p not in rank]
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not a routine contact's {' or '.join(CONTACT_KEYS)}")
    items = list(values.items())
    return sorted(items, key=lambda item: (SECTIONS.index(section_of(item[0])), rank.get(item[0], 0)))


def _inline(entry: dict) -> InlineTable:
    table = tomlkit.inline_table()
    table.update(entry)
    return table


def _put(table: Table | InlineTable, keys: list[str], entry: dict) -> None:
    """Write one value under its keys, the ones above its own as nested inline tables."""
    head, *rest = keys
    if not rest:
        table.add(head, _inline(entry))
        return
    if head not in table:
        table.add(head, tomlkit.inline_table())
    _put(table[head], rest, entry)


def document(data: dict, x: np.ndarray, record: dict) -> tomlkit.TOMLDocument:
    """The fitted file: the header, each table of fitted values, then the calibration record."""
    doc = tomlkit.document()
    for line in HEADER:
        doc.add(tomlkit.comment(line))
    tables = {section: tomlkit.table() for section in SECTIONS}
    free = tuple(NAMES.index(n) for n in record["free"]) if record.get("free") else DEFAULT_FREE
    for path, entry in _ordered(entries(data, x, record, free)):
        section = section_of(path)
        _put(tables[section], path[len(section) + 1 :].split("."), entry)
    for section in SECTIONS:
        parent, _, child = section.rpartition(".")
        if parent and not tables[section]:  # a sub-table of a section the model leaves out
            continue
        (tables[parent] if parent else doc).add(child, tables[section])
    calibration = tomlkit.table()
    for key in RECORD_KEYS:
        if record.get(key) is not None:
            calibration.add(key, record[key])
    targets = tomlkit.aot()
    for row in record.get("targets", []):
        targets.append({key: row[key] for key in TARGET_KEYS})
    if targets:
        calibration.add("targets", targets)
    doc.add("calibration", calibration)
    return doc


def write(path: Path, data: dict, x: np.ndarray, record: dict) -> None:
    """Rewrite the fitted file with the vector's values and the record of the fit."""
    write_text(tomlkit.dumps(document(data, x, record)), path)
