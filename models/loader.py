"""Read a care model file and validate it, reporting every problem with file, key path and expectation."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from models.schema import CareModel

MODELS_DIR = Path(__file__).resolve().parent


class ModelFileError(Exception):
    """A model file that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class LoadedModel:
    path: Path
    model: CareModel
    sha256: str
    text: str


def _key_path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def _format(path: Path, err: dict) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        what = "unknown key"
    elif kind == "missing":
        what = "missing required field"
    else:
        what = err["msg"].removeprefix("Value error, ")
        if "input" in err and not isinstance(err["input"], dict | list):
            what += f" (got {err['input']!r})"
    return f"{path}: {_key_path(loc)}: {what}"


def load_model(path: str | Path) -> LoadedModel:
    """Parse and validate a model file; raise ModelFileError listing every problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ModelFileError([f"{path}: cannot read file ({exc.strerror})"]) from None
    text = raw.decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelFileError([f"{path}: not valid TOML: {exc}"]) from None
    try:
        model = CareModel.model_validate(data)
    except ValidationError as exc:
        raise ModelFileError([_format(path, e) for e in exc.errors()]) from None
    return LoadedModel(path=path, model=model, sha256=hashlib.sha256(raw).hexdigest(), text=text)
