"""Read a care model file and validate it, reporting every problem with file, key path and expectation.

Each problem is one line, ``FILE: KEY.PATH: what is wrong``, so that a user can find it in the file.
Validation is strict: a TOML value must already have the type the schema asks for (the string
``"1400"`` or ``true`` is not a number), and NaN or infinite numbers are rejected wherever they are.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import tomllib
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from models.schema import CareModel

MODELS_DIR = Path(__file__).resolve().parent

_TOP = "(top level)"


class ModelFileError(Exception):
    """A model file that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class SourceFile:
    path: Path
    sha256: str
    text: str


@dataclass(frozen=True)
class LoadedModel:
    path: Path
    model: CareModel
    sha256: str
    text: str
    sources: tuple[SourceFile, ...] = ()  # the file and every file it extends, child first


def _key_path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or _TOP


def _node(data: object, loc: tuple) -> object:
    """The item of the parsed file at ``loc``, or None if there is none."""
    for part in loc:
        if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


def _schema_class(loc: tuple, root: type[BaseModel] = CareModel) -> type[BaseModel] | None:
    """The schema class that describes the table at ``loc``, or None if it cannot be told."""
    cls: object = root
    for part in loc:
        if typing.get_origin(cls) is typing.Annotated:  # a bounded field: the class it bounds
            cls = typing.get_args(cls)[0]
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            field = cls.model_fields.get(str(part))
            if field is None:
                return None
            cls = field.annotation
        elif typing.get_origin(cls) is dict:
            cls = typing.get_args(cls)[1]
        elif typing.get_origin(cls) is list:
            cls = typing.get_args(cls)[0]
        else:
            return None
    if typing.get_origin(cls) is typing.Annotated:
        cls = typing.get_args(cls)[0]
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _unknown_key(loc: tuple, root: type[BaseModel]) -> str:
    what = "unknown key"
    cls = _schema_class(loc[:-1], root)
    if cls is not None:
        close = difflib.get_close_matches(str(loc[-1]), list(cls.model_fields), n=1)
        if close:
            what += f" (did you mean {close[0]!r}?)"
    return what


def _split_leading_key(data: object, loc: tuple, msg: str) -> tuple[tuple, str]:
    """A check on a whole table names the key it is about first ("hospital.p_admit has 5 values");
    move that key into the key path so that the line reads FILE: hospital.p_admit: has 5 values."""
    head, _, rest = msg.partition(" ")
    parts = tuple(head.split("."))
    if not (rest and all(parts) and isinstance(_node(data, loc), dict) and _node(data, loc + parts) is not None):
        return loc, msg
    if rest[:1].isalpha():
        return loc + parts, rest
    # "access_point.p_advice + p_rapid_response must not exceed 1" is about the enclosing table.
    return loc + parts[:-1], f"{parts[-1]} {rest}"


def _format(path: Path, data: object, err: dict, root: type[BaseModel] = CareModel) -> list[str]:
    loc = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
        if kind == "literal_error":
            return [f"{path}: {_key_path(loc)}: unknown key (expected one of {ctx.get('expected', '?')})"]
        return [f"{path}: {_key_path(loc)}: bad key: {err['msg']}"]
    if kind == "extra_forbidden":
        return [f"{path}: {_key_path(loc)}: {_unknown_key(loc, root)}"]
    if kind == "missing":
        return [f"{path}: {_key_path(loc)}: missing required field"]
    if kind == "model_type":
        cls = _schema_class(loc, root)
        fields = [n for n, f in cls.model_fields.items() if f.is_required()] if cls else []
        fields.sort(key=lambda n: n != "value")
        shape = " { " + ", ".join(fields) + " }" if fields else ""
        return [f"{path}: {_key_path(loc)}: expected a table{shape} (got {err['input']!r})"]
    msg = err["msg"]
    if kind == "value_error":
        # Raised by a check written in the schema; it may name the key itself and may list several
        # problems, one per line.
        lines = []
        for line in msg.removeprefix("Value error, ").splitlines() or [""]:
            where, what = _split_leading_key(data, loc, line.strip())
            lines.append(f"{path}: {_key_path(where)}: {what}")
        return lines
    if "input" in err and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    return [f"{path}: {_key_path(loc)}: {msg}"]


def _non_finite(data: object, loc: tuple = ()) -> Iterator[tuple]:
    """Key paths of every NaN or infinite number in the parsed file."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _non_finite(v, (*loc, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _non_finite(v, (*loc, i))
    elif isinstance(data, float) and not math.isfinite(data):
        yield loc


def _about_bad_number(loc: tuple, bad_numbers: list[tuple]) -> bool:
    """Whether an error is about a NaN or infinite number already reported: the number itself, or
    the parameter whose value it is (a bound on the parameter sees the same number)."""
    return any(loc == bad or (bad[: len(loc)] == loc and bad[len(loc)] == "value") for bad in bad_numbers)


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _read(path: Path) -> tuple[bytes, str, dict]:
    """Raw bytes, text and parsed TOML of one file; ModelFileError naming the file otherwise."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ModelFileError([f"{path}: cannot read file ({exc.strerror or exc})"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError([f"{path}: not UTF-8 text (invalid byte at line {_line_of(raw, exc.start)})"]) from None
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ModelFileError([f"{path}: not valid TOML: {exc}"]) from None
    return raw, text, data


def _merge(parent: dict, child: dict, path: Path, loc: tuple, problems: list[str]) -> dict:
    """The parent's tables with the child's keys laid over them. A parameter the child overrides
    (a table with a value) is replaced whole, and must bring its own source."""
    out = dict(parent)
    for key, value in child.items():
        here = (*loc, key)
        base = parent.get(key)
        if isinstance(value, dict) and isinstance(base, dict) and "value" not in value and "value" not in base:
            out[key] = _merge(base, value, path, here, problems)
            continue
        if isinstance(value, dict) and "value" in value and "source" not in value:
            problems.append(f"{path}: {_key_path(here)}: an overridden value needs its own source")
        out[key] = value
    return out


def _resolve(path: Path, chain: tuple[Path, ...]) -> tuple[dict, list[SourceFile]]:
    """The merged data of a file and the files it extends, with those files listed child first."""
    raw, text, data = _read(path)
    sources = [SourceFile(path, hashlib.sha256(raw).hexdigest(), text)]
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data, sources
    if not isinstance(parent_name, str):
        raise ModelFileError([f"{path}: extends: expected the name of a model file (got {parent_name!r})"])
    parent = (path.parent / parent_name).resolve()
    if parent in chain or parent == path.resolve():
        cycle = " -> ".join(str(p) for p in (*chain, path.resolve(), parent))
        raise ModelFileError([f"{path}: extends: cycle in extends ({cycle})"])
    if not parent.is_file():
        raise ModelFileError([f"{path}: extends: no such model file {parent_name!r} (looked for {parent})"])
    parent_data, parent_sources = _resolve(parent, (*chain, path.resolve()))
    problems: list[str] = []
    merged = _merge(parent_data, data, path, (), problems)
    if problems:
        raise ModelFileError(problems)
    return merged, sources + parent_sources


def resolved_data(path: str | Path) -> dict:
    """The parsed data of a model file with everything it extends merged in (not yet validated)."""
    return _resolve(Path(path), ())[0]


def validated(path: Path, data: dict, schema: type[BaseModel]) -> BaseModel:
    """``data`` read from ``path`` validated strictly against ``schema``; ModelFileError with one
    line per problem (FILE: KEY.PATH: what is wrong) otherwise. Files other than care models (a
    sizing file) are checked the same way."""
    bad_numbers = list(_non_finite(data))
    problems = [f"{path}: {_key_path(loc)}: expected a finite number (got {_node(data, loc)!r})" for loc in bad_numbers]
    try:
        checked = schema.model_validate(data, strict=True)
    except ValidationError as exc:
        for err in exc.errors():
            if not _about_bad_number(tuple(err["loc"]), bad_numbers):
                problems.extend(_format(path, data, err, schema))
        checked = None
    if problems:
        raise ModelFileError(problems)
    return checked


def read_toml(path: Path) -> tuple[str, str, dict]:
    """A TOML file's text, sha256 and parsed data; ModelFileError naming the file otherwise."""
    raw, text, data = _read(path)
    return text, hashlib.sha256(raw).hexdigest(), data


def load_named(path: Path, key: str, name: str) -> LoadedModel:
    """The model file another file (a sizing or a pilot file) names at ``key``, relative to it."""
    where = (path.parent / name).resolve()
    if not where.is_file():
        raise ModelFileError([f"{path}: {key}: no such model file {name!r} (looked for {where})"])
    return load_model(where)


def load_model(path: str | Path) -> LoadedModel:
    """Parse and validate a model file (and any it extends); raise ModelFileError listing every problem."""
    path = Path(path)
    data, sources = _resolve(path, ())
    model = validated(path, data, CareModel)
    own = sources[0]
    return LoadedModel(path=path, model=model, sha256=own.sha256, text=own.text, sources=tuple(sources))
