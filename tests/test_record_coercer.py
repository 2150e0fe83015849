"""Reading a record fast changes nothing read back: a field's own coercer (made once, remembering what a text
comes to) gives what :func:`formgen.coerce.coerce` gives, on the first reading of a text and on every later one;
every row keeps its own list and its own issue."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from formgen.coerce import CoerceError, Context, coerce, coercer, halfwidth
from formgen.issues import Code
from formgen.record import Extraction, RawValue, build_record
from formgen.spec.model import Field, FormSpec
from tests.inline import form
from tests.test_coerce import (BOOLEAN, CHOICE, CLASHING_CHOICE, DATE, DATETIME, EMAIL, INTEGER, MOBILE, NUMBER,
                               NUMERIC_CHOICE, PHONE, RIC, SCHOOL, STRING, TEXT)

MULTI = Field(("ch",), {"title": "发现途径", "type": "array", "items": {"enum": ["teacher", "camera"]},
                        "x-formgen": {"labels": ["教师发现", "监控"]}}, False)
FIELDS = [INTEGER, NUMBER, DATE, DATETIME, BOOLEAN, CHOICE, NUMERIC_CHOICE, CLASHING_CHOICE, STRING, TEXT, RIC,
          MOBILE, PHONE, SCHOOL, EMAIL, MULTI]
TYPED = ["", " ", "\u3000", "\u200b", "\x00", "12", "１２", " 12 ", "1,234", "12.5", "−3", "2021-03-05", "2021年3月5日",
         "21/3/5", "3/5/2021", "2021-03-05 14:30", "下午4点40", "是", "否", "☒", "x", "一般欺凌", "serious bullying",
         "2", "一", "教师发现、监控", "监控，火星", "初二（３）班", "ＡＢ１", "a\nb", " a \r\n b ", "1.23E+17",
         "110101199003077777", "138 0405 1234", "024-23456789", "2121012345", "someone@example.cn", "x" * 80,
         12, 12.0, 12.5, 0, 1, 10 ** 16, 45000.25, True, False, dt.date(2021, 3, 5), dt.datetime(2021, 3, 5, 14, 30),
         ["教师发现"], ["监控", "火星"]]


def outcome(read, value):
    """The value read (with its type), or the issue code and parameters."""
    try:
        got = read(value)
    except CoerceError as err:
        return "issue", err.code, err.params
    return "value", type(got), got


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.name)
def test_a_fields_coercer_is_coerce(field):
    for ctx in (Context(), Context(date1904=True)):
        read = coercer(field)
        for _ in range(2):  # a text read again is remembered
            for value in TYPED:
                assert outcome(lambda v: read(v, ctx), value) == outcome(lambda v: coerce(v, field, ctx), value), value


def test_every_record_keeps_its_own_list():
    read = coercer(MULTI)
    first, second = read("教师发现、监控", Context()), read("教师发现、监控", Context())
    assert first == second == ["teacher", "camera"] and first is not second


LEDGER = form([("unit", "text", "填报单位"),
               ("rows", "rows", "隐患", [("due", "date", "整改时限"), ("ch", "multi", "途径", {
                   "type": "array", "items": {"enum": ["teacher", "camera"]}, "x": {"labels": ["教师发现", "监控"]}})])],
              form_id="t-fast", title="逐行读取测试表")


def test_each_row_has_its_own_value_and_issue():
    spec = FormSpec.from_definition(LEDGER)
    values = [RawValue(f"rows.{i}.{col}", typed, f"表单!{col}{i}") for i in range(3)
              for col, typed in (("due", "3月5日"), ("ch", "监控"))]
    built = build_record(spec, Extraction("x.xlsx", "xlsx", values=values))
    assert [(i.code, i.path, i.location) for i in built.issues] == [
        (Code.AMBIGUOUS_VALUE, f"rows.{i}.due", f"表单!due{i}") for i in range(3)]
    assert built.record["rows"] == [{"due": "3月5日", "ch": ["camera"]}] * 3
    built.record["rows"][0]["ch"].append("teacher")
    assert built.record["rows"][1]["ch"] == ["camera"]


def test_halfwidth_is_nfkc_of_the_full_width_forms_alone():
    every = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    assert halfwidth(every) == "".join(unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e"
                                       or ch == "\u3000" else ch for ch in every)
