"""Every file a run or a fit writes goes through a temporary file and a rename, so an interrupted
command leaves the file as it was or whole, never half written."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def file_in_the_way(path: Path) -> Path | None:
    """The file, if any, among the existing folders above ``path`` (missing ones are made on
    writing): a path below a file can never be written."""
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    return None if parent.is_dir() else parent


def atomic(path: Path, write: Callable[[str], None]) -> None:
    """Call write(temporary path) beside ``path``, then rename the result over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_json(data: dict, path: Path) -> None:
    def dump(tmp: str) -> None:
        with open(tmp, "w") as fh:
            json.dump(data, fh, indent=2, default=str)

    atomic(path, dump)


def write_text(text: str, path: Path) -> None:
    atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
