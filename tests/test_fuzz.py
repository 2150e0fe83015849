"""Bounded fuzzing: a few hundred mutated copies of a filled form per reader (bytes flipped, cut, inserted, or
a package part's XML changed and repacked) each get a result of catalogued issues: no fault inside formgen
(FG190), no exception, no hang (an alarm stops any one file after 10 s)."""

from __future__ import annotations

import signal
import zipfile
import io

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from formgen.issues import Code
from formgen.pipeline import process
from tests import hostile
from tests.conftest import FORMS, example
from formgen.spec import Registry

EXAMPLES = 200
REGISTRY = Registry(FORMS)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict[str, bytes]:
    return hostile.make_base(REGISTRY, example(hostile.FORM), tmp_path_factory.mktemp("base"))


def _alarm(_signum, _frame):
    raise TimeoutError("a mutated file took more than 10 s")


@st.composite
def mutations(draw, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["flip", "cut", "insert", "part"] if data.startswith(b"PK") else
                                ["flip", "cut", "insert"]))
    if kind == "cut":
        return data[:draw(st.integers(0, len(data) - 1))]
    if kind == "part":
        return _mutated_part(draw, data)
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 16))):
        at = draw(st.integers(0, len(out) - 1))
        if kind == "flip":
            out[at] = draw(st.integers(0, 255))
        else:
            out[at:at] = draw(st.binary(min_size=1, max_size=64))
    return bytes(out)


def _mutated_part(draw, data: bytes) -> bytes:
    """One XML part of the package with characters changed, inserted or removed, repacked validly."""
    parts = hostile.parts(data)
    index = draw(st.sampled_from([i for i, (n, _c) in enumerate(parts) if n.endswith((".xml", ".rels"))]))
    name, content = parts[index]
    text = bytearray(content)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.sampled_from([b"<", b">", b"\"", b"&", b"/", b"A1:XFD1048576", b"#REF!", b"-1", b"",
                                      b"<c r=\"XFD1048576\"><v>1</v></c>", b"\xff", b"0"]))
        text[at:at + draw(st.integers(0, 4))] = piece
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (n, c) in enumerate(parts):
            zf.writestr(n, bytes(text) if i == index else c)
    return out.getvalue()


def _check(data: bytes, name: str) -> None:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        result = process(name, REGISTRY, data)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert result.status in ("valid", "invalid", "unreadable")
    assert all(isinstance(i.code, Code) for i in result.issues)
    assert Code.INTERNAL not in [i.code for i in result.issues], name
    for issue in result.issues:
        assert "{" not in issue.message("zh_CN")


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "pdf"])
def test_mutated_files_get_only_catalogued_results(base, fmt):
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(mutations(base[fmt]))
    def check(data: bytes) -> None:
        _check(data, f"mutated.{fmt}")
    check()
