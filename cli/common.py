"""What the commands share: loading every model file before failing, and refusing bad settings."""

from __future__ import annotations

import sys

from models.loader import LoadedModel, ModelFileError, load_model

EXIT_BAD_INPUT = 2


def load_all(paths: list[str]) -> list[LoadedModel]:
    """Load every model, collecting all problems before failing."""
    loaded, problems = [], []
    for p in paths:
        try:
            loaded.append(load_model(p))
        except ModelFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ModelFileError(problems)
    return loaded


def refuse(command: str, problems: list[str]) -> int:
    """Print each problem of a command's settings, named by the command, and exit as bad input."""
    return refuse_lines([f"wsic {command}: {p}" for p in problems])


def refuse_lines(lines: list[str]) -> int:
    """Print problems already named (by command or by file), and exit as bad input."""
    for line in lines:
        print(line, file=sys.stderr)
    return EXIT_BAD_INPUT
