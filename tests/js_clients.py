"""Where the JavaScript clients of the tests live (pdf.js, SheetJS, ExcelJS, pinned in tests/js/package-lock.json):
the cache folder `bash scripts/bootstrap-system.sh test` installs them into."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def modules() -> Path:
    """The node_modules folder of the installed clients; the test is skipped without Node.js, and fails (saying
    what to run) when Node.js is there but the clients are not."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed (bash scripts/bootstrap-system.sh test installs it)")
    cache = os.environ.get("FORMGEN_JS_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "formgen" / "js")
    folder = Path(cache) / "node_modules"
    installed = Path(cache) / "installed-lock.json"
    assert installed.is_file() and installed.read_bytes() == (HERE / "js" / "package-lock.json").read_bytes(), (
        f"the JavaScript clients of tests/js are not installed in {cache}: run bash scripts/bootstrap-system.sh test")
    return folder


def run(script: str, *args: str) -> None:
    """Run ``tests/<script>`` with node, the clients' folder as its first argument."""
    done = subprocess.run(["node", str(HERE / script), str(modules()), *args], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
