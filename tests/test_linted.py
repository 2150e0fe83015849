"""A definition that passed lint is remembered by its bytes (formgen.spec.linted): a broken one never is, an
edited one is linted again, and a cache folder that cannot be written only means linting every time."""

from __future__ import annotations

import json

import pytest

from formgen.issues import DefinitionError
from formgen.spec import load_spec
from formgen.spec.linted import cache_dir, passed
from tests.conftest import FORMS


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_a_definition_that_passed_is_remembered_and_read_the_same(cache):
    path = cache / "incident-report.json"
    path.write_bytes((FORMS / "incident-report.json").read_bytes())
    assert not passed(path.read_bytes())
    first = load_spec(path)
    assert passed(path.read_bytes()) and len(list(cache_dir().iterdir())) == 1
    again = load_spec(path)
    assert again.hash == first.hash and again.source == first.source
    assert [f.address for f in again.fields()] == [f.address for f in first.fields()]


def test_a_broken_or_edited_definition_is_linted_again(cache):
    path = cache / "incident-report.json"
    definition = json.loads((FORMS / "incident-report.json").read_text("utf-8"))
    path.write_text(json.dumps(definition, ensure_ascii=False), "utf-8")
    load_spec(path)
    definition["x-formgen-rules"] = [{"id": "broken", "expr": "no_such_field > 1", "message": "x"}]
    path.write_text(json.dumps(definition, ensure_ascii=False), "utf-8")
    with pytest.raises(DefinitionError):
        load_spec(path)
    assert not passed(path.read_bytes())
    with pytest.raises(DefinitionError):  # still: nothing of the broken version was remembered
        load_spec(path)
    assert len(list(cache_dir().iterdir())) == 1


def test_an_unwritable_cache_only_means_linting_every_time(cache):
    (cache / "cache").write_text("a file where the cache folder would be", "utf-8")
    spec = load_spec(FORMS / "incident-report.json")
    assert spec.id == "incident-report" and not passed((FORMS / "incident-report.json").read_bytes())
