"""A file written by a run or a fit is either the old one or the whole new one."""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.files import atomic, write_csv, write_text


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "summary.csv"
    write_csv(pd.DataFrame({"a": [1, 2]}), path)
    before = path.read_text()

    def half_then_fail(tmp: str) -> None:
        with open(tmp, "w") as fh:
            fh.write("a\n1\n")
        raise KeyboardInterrupt  # as when a run is stopped mid-write

    with pytest.raises(KeyboardInterrupt):
        atomic(path, half_then_fail)
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]


def test_writes_make_missing_directories_and_replace_whole(tmp_path):
    path = tmp_path / "new" / "dir" / "report.html"
    write_text("<p>one</p>", path)
    write_text("<p>two</p>", path)
    assert path.read_text() == "<p>two</p>"
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
