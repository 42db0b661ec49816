"""The layout holds: dependencies point one way, no import circle inside a package, and no module,
class or function grows past the size a reader can hold (the schema's flat declarations aside)."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("models", "sim", "experiments", "calibration", "cli")
# what each package may import of ours
ALLOWED = {
    "models": {"models"},
    "sim": {"models", "sim"},
    "experiments": {"models", "sim", "experiments"},
    "calibration": {"models", "sim", "experiments", "calibration"},
    "cli": {"models", "experiments", "calibration", "cli"},  # the command's parts: on top of everything
}
LIMITS = {"module": 400, "class": 250, "function": 60}
FLAT = {"models/schema.py"}  # flat declarations, one field a line


def _modules() -> dict[str, Path]:
    return {f"{p.parent.name}.{p.stem}": p for pkg in PACKAGES for p in sorted((ROOT / pkg).glob("*.py"))}


def _sized() -> list[Path]:
    """Every module whose size is held to the limits: the packages' and the command's."""
    return [*_modules().values(), ROOT / "wsic.py"]


def _imports(path: Path) -> set[str]:
    """The project's modules a module imports; ``from sim import routine`` is sim.routine."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = ROOT / node.module.replace(".", "/") / f"{alias.name}.py"
                out.add(f"{node.module}.{alias.name}" if sub.exists() else node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.split(".")[0] in PACKAGES}


def test_dependencies_point_one_way():
    for name, path in _modules().items():
        package = name.split(".")[0]
        for dep in _imports(path):
            assert dep.split(".")[0] in ALLOWED[package], f"{name} imports {dep}"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circle_inside_a_package(package):
    graph = {
        name: {d for d in _imports(path) if d.startswith(package + ".")}
        for name, path in _modules().items()
        if name.startswith(package + ".")
    }
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the circle


def test_sizes_stay_within_limits():
    over = []
    for path in _sized():
        rel = str(path.relative_to(ROOT))
        lines = path.read_text().count("\n")
        if rel not in FLAT and lines > LIMITS["module"]:
            over.append(f"{rel}: {lines} lines")
        for node in ast.walk(ast.parse(path.read_text())):
            kind = "class" if isinstance(node, ast.ClassDef) else None
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                kind = "function"
            if kind and rel not in FLAT:
                size = node.end_lineno - node.lineno + 1
                if size > LIMITS[kind]:
                    over.append(f"{rel}:{node.lineno} {kind} {node.name}: {size} lines")
    assert not over, "\n".join(over)
