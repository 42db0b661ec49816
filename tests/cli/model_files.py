"""What the command tests share: the baseline copied with its problems, and the command as a user
runs it (a fresh interpreter, so a traceback would show)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "models" / "baseline.toml"
# copies are written elsewhere, so the fitted parameters they extend are named by absolute path
BASELINE_TEXT = BASELINE.read_text(encoding="utf-8").replace(
    'extends = "fitted/', f'extends = "{BASELINE.parent}/fitted/'
)


def edited(old: str, new: str, text: str = BASELINE_TEXT) -> str:
    assert text.count(old) == 1, f"{old!r} is not once in the baseline; the test needs updating"
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def bad_model(tmp_path: Path, name: str = "bad.toml") -> Path:
    """The baseline with two problems: negative beds and a probability above one."""
    text = edited("beds = { value = 1400", "beds = { value = -5")
    text = edited("p_advice = { value = 0.35", "p_advice = { value = 1.5", text)
    return write(tmp_path, text, name)


def stderr_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def wsic_in_a_subprocess(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import sys, wsic; sys.exit(wsic.main(sys.argv[1:]))", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
