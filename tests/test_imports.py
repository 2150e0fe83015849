"""Each command imports only the libraries of the formats it uses (issue 14): which modules a fresh process
loads for `formgen --help` and for validating one file of each format, not how long that takes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from formgen.compile import COMPILERS
from tests.conftest import FORMS, example

#: the libraries of one format (python-docx and Jinja come with docxtpl; PIL and fontTools with pypdf and fpdf2;
#: pikepdf reads PDFs)
FORMAT_LIBS = {"xlsx": {"openpyxl"}, "docx": {"docxtpl", "docx", "jinja2"}, "pdf": {"fpdf", "pypdf", "pikepdf", "fontTools"}}
VALIDATION_LIBS = {"jsonschema", "lark", "stdnum"}
HEAVY = set().union(*FORMAT_LIBS.values(), VALIDATION_LIBS, {"lxml", "PIL"})

RUN = """
import json, sys
sys.argv = ["formgen", *json.loads(sys.argv[1])]
from formgen.cli import main
try:
    main()
except SystemExit:
    pass
sys.stdout = sys.__stdout__
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def loaded(*args: str) -> set[str]:
    """The top-level packages a fresh `formgen ARGS` process has imported when it ends."""
    proc = subprocess.run([sys.executable, "-c", RUN, json.dumps(list(args))], capture_output=True, text=True,
                          check=True)
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_help_loads_no_format_and_no_validation_library():
    assert loaded("--help") & HEAVY == set()


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "pdf"])
def test_validate_loads_only_its_formats_libraries(tmp_path, registry, fmt):
    path = tmp_path / f"report.{fmt}"
    COMPILERS[fmt].compile(registry.get("incident-report"), example("incident-report"), path)
    modules = loaded("--forms", str(FORMS), "validate", str(path))
    others = set().union(*(libs for other, libs in FORMAT_LIBS.items() if other != fmt))
    assert modules & (others - FORMAT_LIBS[fmt]) == set()
    assert VALIDATION_LIBS <= modules
