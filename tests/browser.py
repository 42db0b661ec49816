"""Open a self-contained page in headless Chromium with the network off and read back what its
load handler found: how many plots, which were empty, and any errors (experiments/report.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def rendered(page: Path) -> tuple[dict[str, str], list[str]]:
    """The status attributes the page's load handler set, and the browser's console lines."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed here")
    profile = tempfile.mkdtemp()
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        # the network is off: no proxy reachable and no name resolves
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=20000",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    shutil.rmtree(profile, ignore_errors=True)
    status = re.search(r'<div id="report-status"([^>]*)>', done.stdout)
    assert status, f"the page did not load: {done.stderr[-2000:]}"
    attrs = dict(re.findall(r'data-([a-z]+)="([^"]*)"', status.group(1)))
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
    return attrs, console


def assert_drawn(page: Path, least_plots: int) -> None:
    """Every plot drawn, at least ``least_plots`` of them, with no error in the page or console."""
    attrs, console = rendered(page)
    assert attrs.get("ready") == "yes", "the load handler did not run"
    assert int(attrs["plots"]) >= least_plots, attrs
    assert attrs["empty"] == "", f"empty plots: {attrs['empty']}"
    assert attrs["errors"] == "", f"errors in the page: {attrs['errors']}"
    assert not [line for line in console if "Uncaught" in line or "rror" in line], console
