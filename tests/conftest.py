from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from formgen.cli import cli
from formgen.spec import Registry

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "forms"
EXAMPLES = FORMS / "examples"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry(FORMS)


@pytest.fixture(scope="session")
def office():
    """One real headless LibreOffice for the whole test session."""
    from tests.office import Office

    lo = Office().start()
    yield lo
    lo.stop()


def example(form_id: str) -> dict:
    return json.loads((EXAMPLES / f"{form_id}.json").read_text("utf-8"))


#: The language settings of the machine running the tests are not the ones a test means.
NO_LANGUAGE = {"FORMGEN_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def run_cli(*args: str, lang: str | None = None, env: dict[str, str | None] | None = None):
    """Run the formgen CLI in-process; returns click's Result (exit_code, stdout, stderr).  The machine's
    language variables are cleared (Chinese, the default), then ``env`` is applied."""
    argv = (["--lang", lang] if lang else []) + ["--forms", str(FORMS), *args]
    return CliRunner(env={**NO_LANGUAGE, **(env or {})}).invoke(cli, argv, catch_exceptions=False)
