"""The hostile corpus (tests/hostile.py) as one `formgen batch`, each attack kind once: the batch goes on past every
file, each file gets exactly one result in results.jsonl with its expected code, nothing is written outside
OUTDIR (the zip-slip entries included), and the planted XXE secret is in no output, unpacked workbooks and
documents included.  The batch runs as its own process under an address-space and a wall-time limit."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests import hostile
from tests.conftest import FORMS, ROOT, example

#: One case of each kind of attack or damage (the full corpus is checked file by file in test_hostile.py).
KINDS = [
    "sheet-bomb.xlsx", "shared-strings-bomb.xlsx", "far-cell.xlsx", "duplicate-sheet.xlsx", "overlapping-entries.xlsx",
    "many-entries.xlsx", "ratio-bomb.xlsx", "xxe.xlsx", "xxe.docx", "billion-laughs.xlsx", "utf16-dtd.xlsx",
    "many-cells.xlsx", "long-cell-text.xlsx", "deep-nesting.xlsx", "truncated.xlsx", "encrypted.xlsx",
    "workbook-named.pdf", "table-ref-broken.xlsx", "print-area-columns.xlsx", "unknown-form-rtl.xlsx",
    "no-identity.xlsx", "zip-slip.xlsx", "empty.xlsx", "garbage.xlsx", "document-bomb.docx", "encrypted.docx",
    "zeros-90mib.pdf", "many-objects.pdf", "deep-array.pdf", "password.pdf", "flattened.pdf",
    "pages-tool-no-identity.pdf", "unknown-form-nul.pdf", "random.pdf",
]
MEMORY = 3 << 30  # the whole batch: its main process and, inherited, its workers (each limits itself further)
SECONDS = 300
SLIPPED = [Path("/tmp/formgen-zip-slip.txt"), Path("/etc/formgen-zip-slip.txt")]


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def batch(registry, tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-batch")
    secret = root / "secret.txt"
    secret.write_text(hostile.SECRET)
    base = hostile.make_base(registry, example(hostile.FORM), root)
    folder, out = root / "returns", root / "out"
    folder.mkdir()
    cases = hostile.cases(secret)
    expected = {}
    for name in KINDS:
        make, code = cases[name]
        (folder / name).write_bytes(make(base))
        expected[name] = code
    work = root / "a" / "b" / "c" / "d"  # the batch's working folder: ../../../../ of a zip-slip entry is root
    work.mkdir(parents=True)
    before = _tree(root)
    proc = subprocess.run([sys.executable, "-m", "formgen", "--forms", str(FORMS), "batch", str(folder), "-o", str(out),
                           "--jobs", "2"], cwd=work, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=SECONDS, preexec_fn=_limited)
    return root, out, expected, proc, before


def test_the_batch_goes_on_past_every_file(batch):
    _root, out, expected, proc, _before = batch
    assert proc.returncode == 1, proc.stderr  # invalid files: exit 1, not a crash
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text("utf-8").splitlines()]
    assert sorted(line["path"] for line in lines) == sorted(expected)  # each file exactly once
    for line in lines:
        code = expected[line["path"]]
        codes = [i["code"] for i in line["issues"]]
        if code in ("valid", "FG108", "FG105"):  # returns of the one school read as its form: the newest counts
            assert line["status"] in (("valid", "superseded") if code == "valid" else ("valid", "invalid", "superseded"))
            assert line["status"] == "superseded" or code == "valid" or code in codes, (line["path"], codes)
        else:
            assert code in codes, (line["path"], line["status"], codes)
        assert "FG190" not in codes and "FG113" not in codes and "FG114" not in codes, (line["path"], codes)


def test_nothing_is_written_outside_the_output_folder(batch):
    root, out, _expected, _proc, before = batch
    after = _tree(root)
    assert {p for p in after - before if not p.startswith("out")} == set()
    assert not any(p.exists() for p in SLIPPED)
    assert not any("zip-slip" in p for p in after - before)


def test_the_xxe_secret_is_in_no_output(batch):
    _root, out, _expected, proc, _before = batch
    secret = hostile.SECRET.encode()
    assert secret not in (proc.stdout + proc.stderr).encode()
    for path in (p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert secret not in data, path
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                assert not any(secret in zf.read(name) for name in zf.namelist()), path
