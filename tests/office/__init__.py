"""A real headless LibreOffice for tests: one per test session, private profile, ended by pid."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

from formgen.preview import convert  # noqa: F401  (the tests print files to PDF as `formgen preview` does)

DRIVER = Path(__file__).with_name("uno_driver.py")
SYSTEM_PYTHON = "/usr/bin/python3"


class Office:
    def __init__(self) -> None:
        self.pipe = f"formgen_test_{uuid.uuid4().hex[:8]}"
        self.profile = Path(tempfile.mkdtemp(prefix="formgen-lo-"))
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Office":
        soffice = shutil.which("soffice")
        if soffice is None:
            raise RuntimeError("LibreOffice (soffice) is not installed; run `make test`, which installs it")
        self.proc = subprocess.Popen(
            [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
             f"-env:UserInstallation={self.profile.as_uri()}", f"--accept=pipe,name={self.pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.run([], timeout=120)  # connects with a bounded retry
        return self

    def run(self, ops: list[dict], timeout: float = 120) -> list:
        """Apply operations (see uno_driver.py) and return their results."""
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
            json.dump(ops, fh, ensure_ascii=False)
        try:
            out = subprocess.run([SYSTEM_PYTHON, str(DRIVER), self.pipe, fh.name], capture_output=True,
                                 text=True, timeout=timeout, check=False)
        finally:
            os.unlink(fh.name)
        if out.returncode != 0:
            raise RuntimeError(f"UNO driver failed: {out.stderr[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def stop(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc = None
        shutil.rmtree(self.profile, ignore_errors=True)
