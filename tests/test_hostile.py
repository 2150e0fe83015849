"""The corpus of broken and hostile files (tests/hostile.py): each gets one clear result naming the file and
the problem, with its expected code, no traceback, within 10 s and 500 MiB (each runs in a child with those
limits, tests/hostile_worker.py), the input unchanged and the planted secret in no output."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import hostile
from tests.conftest import FORMS, ROOT, example


@pytest.fixture(scope="module")
def corpus(registry, tmp_path_factory) -> tuple[Path, dict[str, str], dict[str, str]]:
    """(folder, expected code by file name, sha256 by file name)"""
    folder = tmp_path_factory.mktemp("corpus")
    secret = folder / "secret.txt"
    secret.write_text(hostile.SECRET)
    base = hostile.make_base(registry, example(hostile.FORM), folder)
    expected, digests = {}, {}
    for name, (make, code) in hostile.cases(secret).items():
        data = make(base)
        (folder / name).write_bytes(data)
        expected[name] = code
        digests[name] = hashlib.sha256(data).hexdigest()
    return folder, expected, digests


@pytest.fixture(scope="module")
def checked(corpus) -> dict[str, dict]:
    folder, expected, _ = corpus
    run = subprocess.run([sys.executable, "-m", "tests.hostile_worker", str(FORMS),
                          *[str(folder / name) for name in sorted(expected)]],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    return {Path(line["file"]).name: line for line in lines}


def test_the_corpus_has_at_least_40_cases(corpus):
    assert len(corpus[1]) >= 40


@pytest.mark.parametrize("name", sorted(hostile.cases(Path("/nonexistent"))))
def test_each_case_has_one_clear_result_within_the_limits(corpus, checked, name):
    folder, expected, digests = corpus
    line = checked[name]
    assert line["end"] == "result", line  # not a crash, not over 10 s or 500 MiB
    assert "Traceback" not in line["stderr"] and line["stderr"] == ""
    code = expected[name]
    if code == "valid":
        assert line["status"] == "valid", line["codes"]
    else:
        assert code in line["codes"], line["codes"]
        issue = next(i for i in line["json"]["issues"] if i["code"] == code)
        message = issue["message"]
        assert "{" not in message and "Error" not in message and "Exception" not in message
    assert name in line["text"]  # the report names the file
    assert hostile.SECRET not in line["text"] + json.dumps(line["json"], ensure_ascii=False)
    assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digests[name]  # the input is unchanged


def test_nothing_is_written_beside_the_inputs(corpus, checked):
    folder, expected, _ = corpus
    made = {"secret.txt", "base.xlsx", "base.docx", "base.pdf"}
    assert {p.name for p in folder.iterdir()} == set(expected) | made
    assert not Path("/tmp/formgen-zip-slip.txt").exists() and not Path("/etc/formgen-zip-slip.txt").exists()
