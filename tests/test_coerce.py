"""Coercion of what people type: (input, expected value or issue code) tables, one per kind of field."""

from __future__ import annotations

import datetime as dt

import pytest

from formgen.coerce import CoerceError, Context, coerce
from formgen.issues import Code
from formgen.record import Extraction, RawValue, build_record
from formgen.spec.model import Field, FormSpec

INTEGER = Field(("n",), {"title": "人数", "type": "integer"}, False)
NUMBER = Field(("x",), {"title": "金额", "type": "number"}, False)
DATE = Field(("d",), {"title": "日期", "type": "string", "format": "date"}, False)
DATETIME = Field(("t",), {"title": "时间", "type": "string", "format": "date-time"}, False)
BOOLEAN = Field(("b",), {"title": "是否", "type": "boolean"}, False)
CHOICE = Field(("k",), {"title": "情节程度", "enum": ["minor", "serious"],
                        "x-formgen": {"labels": ["一般欺凌", "严重欺凌"], "labels_en": ["minor", "serious bullying"]}}, False)
NUMERIC_CHOICE = Field(("g",), {"title": "年级", "enum": [1, 2, 3]}, False)
CLASHING_CHOICE = Field(("c",), {"title": "班级", "enum": ["1", "2"], "x-formgen": {"labels": ["2", "一"]}}, False)
STRING = Field(("s",), {"title": "地点", "type": "string"}, False)
TEXT = Field(("p",), {"title": "经过", "type": "string", "x-formgen": {"widget": "textarea"}}, False)
RIC = Field(("id",), {"title": "身份证号", "type": "string", "format": "cn-ric"}, False)
MOBILE = Field(("m",), {"title": "手机", "type": "string", "format": "mobile"}, False)
PHONE = Field(("ph",), {"title": "电话", "type": "string", "format": "phone"}, False)
SCHOOL = Field(("sc",), {"title": "学校标识码", "type": "string", "format": "school-code"}, False)
EMAIL = Field(("e",), {"title": "邮箱", "type": "string", "format": "email"}, False)


def outcome(field: Field, value, ctx: Context = Context()):
    """The coerced value, or the issue code raised."""
    try:
        return coerce(value, field, ctx)
    except CoerceError as err:
        return err.code


@pytest.mark.parametrize("typed, expected", [
    ("12", 12), ("１２", 12), (" 12 ", 12), ("\u300012\u3000", 12), (12, 12), (14.0, 14),
    ("1,234", 1234), ("1，234", 1234), ("1 234", 1234), ("1,234,567", 1234567), ("-５", -5), ("−3", -3),
    ("+7", 7), ("14.0", 14),
    ("12.5", Code.NOT_AN_INTEGER), (12.5, Code.NOT_AN_INTEGER),
    ("1,23", Code.NOT_A_NUMBER), ("12 34", Code.NOT_A_NUMBER), ("1,234 567", Code.NOT_A_NUMBER),
    ("十三", Code.NOT_A_NUMBER), ("13岁", Code.NOT_A_NUMBER), ("1.2.3", Code.NOT_A_NUMBER), (True, Code.NOT_A_NUMBER),
    ("", None), ("\u3000 ", None),
])
def test_integer(typed, expected):
    assert outcome(INTEGER, typed) == expected


@pytest.mark.parametrize("typed, expected", [
    ("12.50", 12.5), ("１２．５", 12.5), ("1,234.5", 1234.5), (3.25, 3.25), ("7", 7), ("7.0", 7),
    ("12.5元", Code.NOT_A_NUMBER), ("", None),
])
def test_number(typed, expected):
    assert outcome(NUMBER, typed) == expected


@pytest.mark.parametrize("typed, expected", [
    ("2021-03-05", "2021-03-05"), ("2021/3/5", "2021-03-05"), ("2021.3.5", "2021-03-05"),
    ("2021年3月5日", "2021-03-05"), ("2021年3月5号", "2021-03-05"), ("２０２１年３月５日", "2021-03-05"),
    (" 2021 年 3 月 5 日 ", "2021-03-05"), ("20210305", "2021-03-05"),
    ("2021-03-05 14:30", "2021-03-05"), ("2021-03-04T16:00:00Z", "2021-03-05"),
    (dt.date(2021, 3, 5), "2021-03-05"), (dt.datetime(2021, 3, 5, 9, 0), "2021-03-05"),
    (44260, "2021-03-05"), (44260.75, "2021-03-05"), (61, "1900-03-01"), (59, "1900-02-28"), (1, "1900-01-01"),
    (60, Code.NOT_A_DATE), (0, Code.NOT_A_DATE), (-1, Code.NOT_A_DATE),
    ("2021-3/5", Code.NOT_A_DATE), ("2021-02-29", Code.NOT_A_DATE), ("2021年13月1日", Code.NOT_A_DATE),
    ("上周五", Code.NOT_A_DATE),
    ("21/3/5", Code.AMBIGUOUS_VALUE), ("21-03-05", Code.AMBIGUOUS_VALUE), ("21年3月5日", Code.AMBIGUOUS_VALUE),
    ("210305", Code.AMBIGUOUS_VALUE), ("3/5/2021", Code.AMBIGUOUS_VALUE), ("5.3.2021", Code.AMBIGUOUS_VALUE),
    ("3月5日", Code.AMBIGUOUS_VALUE),
])
def test_date(typed, expected):
    assert outcome(DATE, typed) == expected


@pytest.mark.parametrize("serial, expected", [
    (42798, "2021-03-05"), (0, "1904-01-01"), (1, "1904-01-02"), (-1, Code.NOT_A_DATE),
])
def test_date_1904_system(serial, expected):
    assert outcome(DATE, serial, Context(date1904=True)) == expected


@pytest.mark.parametrize("typed, expected", [
    ("2021年3月5日 14时30分", "2021-03-05T14:30:00+08:00"), ("2021年3月5日14时30分", "2021-03-05T14:30:00+08:00"),
    ("2021年3月5日 14点30", "2021-03-05T14:30:00+08:00"), ("2021年3月5日 14点半", "2021-03-05T14:30:00+08:00"),
    ("2021年3月5日 14时", "2021-03-05T14:00:00+08:00"), ("2021年3月5日 14时30分15秒", "2021-03-05T14:30:15+08:00"),
    ("2021/3/5 下午4点40", "2021-03-05T16:40:00+08:00"), ("2021/3/5 下午16:40", "2021-03-05T16:40:00+08:00"),
    ("2021/3/5 上午9:05", "2021-03-05T09:05:00+08:00"), ("2021/3/5 中午1点", "2021-03-05T13:00:00+08:00"),
    ("2021-03-05 14:30", "2021-03-05T14:30:00+08:00"), ("2021.3.5 14:30:15", "2021-03-05T14:30:15+08:00"),
    ("２０２１－０３－０５　１４：３０", "2021-03-05T14:30:00+08:00"), ("2021-03-05T14:30", "2021-03-05T14:30:00+08:00"),
    ("2021-03-05T06:30:00Z", "2021-03-05T06:30:00+00:00"), ("2021-3-5T14:30", "2021-03-05T14:30:00+08:00"),
    (dt.datetime(2021, 3, 5, 14, 30), "2021-03-05T14:30:00+08:00"),
    (44260.5, "2021-03-05T12:00:00+08:00"), (44260.604166666664, "2021-03-05T14:30:00+08:00"),
    ("2021年3月5日", Code.NOT_A_DATETIME), ("2021-03-05 14", Code.NOT_A_DATETIME),
    ("2021-03-05 25:00", Code.NOT_A_DATETIME), ("2021/3/5 上午16点", Code.NOT_A_DATETIME),
    ("2021-3-514:30", Code.NOT_A_DATETIME), ("下午4点", Code.NOT_A_DATETIME),
    ("21/3/5 14:30", Code.AMBIGUOUS_VALUE), ("3/5/2021 14:30", Code.AMBIGUOUS_VALUE),
    ("3月5日 14时30分", Code.AMBIGUOUS_VALUE),
])
def test_datetime(typed, expected):
    assert outcome(DATETIME, typed) == expected


@pytest.mark.parametrize("typed, expected", [
    ("是", True), ("否", False), ("√", True), ("✓", True), ("✔", True), ("☑", True), ("✅", True),
    ("×", False), ("✗", False), ("☐", False), ("❌", False), ("有", True), ("无", False), ("没有", False),
    ("不是", False), ("已", True), ("未", False), ("对", True), ("Yes", True), ("NO", False), ("１", True),
    (" 是 ", True), (True, True), (False, False), (1, True), (0.0, False),
    ("☒", Code.AMBIGUOUS_VALUE), ("⊠", Code.AMBIGUOUS_VALUE), ("x", Code.AMBIGUOUS_VALUE), ("X", Code.AMBIGUOUS_VALUE),
    ("可能", Code.NOT_A_BOOLEAN), (2, Code.NOT_A_BOOLEAN),
])
def test_boolean(typed, expected):
    assert outcome(BOOLEAN, typed) == expected


@pytest.mark.parametrize("field, typed, expected", [
    (CHOICE, "严重欺凌", "serious"), (CHOICE, " 一般欺凌\u3000", "minor"), (CHOICE, "serious", "serious"),
    (CHOICE, "SERIOUS BULLYING", "serious"), (CHOICE, "Minor", "minor"), (CHOICE, "严重", Code.NOT_A_CHOICE),
    (NUMERIC_CHOICE, 2, 2), (NUMERIC_CHOICE, 2.0, 2), (NUMERIC_CHOICE, "３", 3), (NUMERIC_CHOICE, 4, Code.NOT_A_CHOICE),
    (CLASHING_CHOICE, "一", "2"), (CLASHING_CHOICE, "2", Code.AMBIGUOUS_VALUE),
])
def test_choice(field, typed, expected):
    assert outcome(field, typed) == expected


@pytest.mark.parametrize("field, typed, expected", [
    (STRING, "  教学楼　", "教学楼"), (STRING, "教学楼\n三楼", "教学楼 三楼"), (STRING, "\u200b食堂\ufeff", "食堂"),
    (STRING, "初二（3）班", "初二（3）班"), (STRING, "初二（３）班", "初二（3）班"), (STRING, "ＡＢ-２０２１", "AB-2021"),
    (TEXT, "初二（３）班", "初二（３）班"), (STRING, 3121000321.0, "3121000321"), (STRING, True, "是"),
    (STRING, dt.date(2021, 3, 5), "2021-03-05"),
    (TEXT, "  第一行 \r\n第二行\u3000\n\n  缩进\n", "第一行\n第二行\n\n  缩进"), (TEXT, "a\u2028b", "a\nb"),
    (RIC, "11010519491231002x", "11010519491231002X"), (RIC, "１１０１０５ １９４９１２３１ ００２Ｘ", "11010519491231002X"),
    (RIC, 110105194912310020.0, Code.DIGITS_LOST), (RIC, 110105194912310020, Code.DIGITS_LOST),
    (RIC, "1.10105E+17", Code.DIGITS_LOST), (STRING, 1.2345678901234567e17, Code.DIGITS_LOST),
    (MOBILE, "138-0405-1234", "13804051234"), (MOBILE, "+86 138 0405 1234", "13804051234"),
    (MOBILE, "１３８０４０５１２３４", "13804051234"), (MOBILE, 13804051234, "13804051234"),
    (PHONE, "(024)23456789", "024-23456789"), (PHONE, "（024）2345 6789", "024-23456789"),
    (PHONE, "024-23456789转12", "024-23456789-12"), (PHONE, "0086-13804051234", "13804051234"),
    (SCHOOL, "３１２１ ０００３２１", "3121000321"), (EMAIL, " ｘｉａｏ＠ｅｘａｍｐｌｅ．ｃｎ ", "xiao@example.cn"),
])
def test_text_and_identifiers(field, typed, expected):
    assert outcome(field, typed) == expected


def test_build_record_keeps_what_was_typed():
    spec = FormSpec.from_definition({"type": "object", "properties": {
        "n": INTEGER.schema, "d": DATE.schema, "k": CHOICE.schema,
        "rows": {"type": "array", "items": {"type": "object", "properties": {"age": {"type": "integer"}}}}}})
    extraction = Extraction("f.xlsx", "xlsx", values=[
        RawValue("n", "１,２００", "表单!B2"), RawValue("d", dt.datetime(2021, 3, 5), "表单!B3"),
        RawValue("k", "很严重", "表单!B4"), RawValue("rows.0.age", 13.0, "表单!E9")])
    built = build_record(spec, extraction)
    assert built.record == {"n": 1200, "d": "2021-03-05", "k": "很严重", "rows": [{"age": 13}]}
    assert built.originals == {"n": "１,２００", "d": "2021-03-05", "k": "很严重", "rows.0.age": "13"}
    assert built.failed == {"k"}
    assert [(i.code, i.path, i.location) for i in built.issues] == [(Code.NOT_A_CHOICE, "k", "表单!B4")]
