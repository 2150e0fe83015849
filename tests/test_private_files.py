"""Files formgen generates that hold personal data are readable by their owner only (mode 0600): a form
pre-filled by `generate --data` or `generate --roster` with a value in an ``x-formgen.pii`` field.  A blank
form, or one pre-filled with no personal value, gets the mode any new file gets."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.conftest import example, run_cli

FORMATS = ["xlsx", "docx", "pdf"]


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _open_umask():
    """A umask that lets others read new files, so that a private file is private because formgen made it so."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture()
def personal(tmp_path):
    """The incident report's example: 涉及人员 (persons) rows with names, a personal data column."""
    record = example("incident-report")
    assert any(row.get("name") for row in record["persons"])
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    return path


@pytest.fixture()
def impersonal(tmp_path):
    """The same record with every person's name removed: nothing personal is left in it."""
    record = example("incident-report")
    for row in record["persons"]:
        row.pop("name", None)
    path = tmp_path / "impersonal.json"
    path.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_form_prefilled_with_personal_data_is_private(tmp_path, personal, impersonal, fmt):
    private, shared, blank = (tmp_path / f"{n}.{fmt}" for n in ("private", "shared", "blank"))
    assert run_cli("generate", "incident-report", "--data", str(personal), "-o", str(private)).exit_code == 0
    assert run_cli("generate", "incident-report", "--data", str(impersonal), "-o", str(shared)).exit_code == 0
    assert run_cli("generate", "incident-report", "-o", str(blank)).exit_code == 0
    assert _mode(private) == 0o600
    assert _mode(shared) == _mode(blank) == 0o644


@pytest.mark.parametrize("fmt", FORMATS)
def test_forms_distributed_with_personal_data_are_private(tmp_path, personal, fmt):
    roster = tmp_path / "名单.csv"
    roster.write_text("单位代码,单位名称,应报表单\n3121000321,沈阳市第八十二中学,incident-report\n"
                      "3121000322,沈阳市第一中学,incident-report\n", "utf-8")
    with_data, without = tmp_path / "with", tmp_path / "without"
    assert run_cli("generate", "incident-report", "--roster", str(roster), "--format", fmt, "--data",
                   str(personal), "-o", str(with_data)).exit_code == 0
    assert run_cli("generate", "incident-report", "--roster", str(roster), "--format", fmt,
                   "-o", str(without)).exit_code == 0
    written = sorted(with_data.iterdir())
    assert len(written) == 2 and {_mode(p) for p in written} == {0o600}
    assert {_mode(p) for p in without.iterdir()} == {0o644}
