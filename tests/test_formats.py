"""Formats on jsonschema's FormatChecker: (value, valid or the reason given) tables, and the GB/T 2260 table."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from stdnum.cn import ric, uscc

from formgen.i18n import gettext
from formgen.issues import Code
from formgen.spec.model import FormSpec
from formgen.validate import validate
from formgen.validate.divisions import LIAONING, LIAONING_CITIES, PROVINCES, division_name
from formgen.validate.formats import FORMAT_CHECKER, FORMAT_NAMES, FormatProblem

OK = None


def reason(fmt: str, value: str) -> str | None:
    """None when valid, else the reason the checker gives."""
    errors = list(Draft202012Validator({"type": "string", "format": fmt}, format_checker=FORMAT_CHECKER)
                  .iter_errors(value))
    if not errors:
        return OK
    assert isinstance(errors[0].cause, FormatProblem)
    return errors[0].cause.reason


def with_check(body: str, module) -> str:
    return body + module.calc_check_digit(body + "0")


VALID_RIC = "11010519491231002X"  # the example of GB 11643-1999
LIAONING_RIC = with_check("21010220100305123", ric)


@pytest.mark.parametrize("value, expected", [
    (VALID_RIC, OK), (LIAONING_RIC, OK),
    ("110105194912310021", "the check digit (the last character) does not match the other digits"),
    ("11010519491231002Y", "the first 17 characters must be digits and the last a digit or X"),
    ("11010519491231002", "it must be 18 characters"),
    ("110105491231002", "it must be 18 characters"),  # first-generation 15-digit numbers expired in 2013
    (with_check("11010519490230123", ric), "the birth date or the place code in it does not exist"),
    (with_check("99010519491231002", ric), "the birth date or the place code in it does not exist"),
])
def test_cn_ric(value, expected):
    assert reason("cn-ric", value) == expected


VALID_USCC = "91110000600037341L"
SCHOOL_USCC = with_check("12210000MB0123456", uscc)


@pytest.mark.parametrize("value, expected", [
    (VALID_USCC, OK), (SCHOOL_USCC, OK),
    ("91110000600037341M", "the check character (the last one) does not match the other characters"),
    ("9111000060003734", "it must be 18 characters"),
    ("91110000600037341I", "characters 1-8 must be digits, the rest digits or capital letters other than I, O, S, V and Z"),
    ("9111A000600037341L", "characters 1-8 must be digits, the rest digits or capital letters other than I, O, S, V and Z"),
])
def test_cn_uscc(value, expected):
    assert reason("cn-uscc", value) == expected


SCHOOL_TYPE = "the first two digits are the school type and must be one of 11, 21, 22, 31-37, 41, 42, 51, 91-93"
PROVINCE = "digits 3-4 are the province and must be a province code, such as 21 for Liaoning"


@pytest.mark.parametrize("value, expected", [
    ("3121000321", OK), ("1121000001", OK), ("2121012345", OK), ("3721000009", OK), ("5121000001", OK),
    ("9311000001", OK), ("3465000001", OK),
    ("312100032", "it must be exactly 10 digits"), ("31210003210", "it must be exactly 10 digits"),
    ("31210O0321", "it must be exactly 10 digits"),
    ("3821000321", SCHOOL_TYPE), ("1221000321", SCHOOL_TYPE), ("9421000321", SCHOOL_TYPE),
    ("3199000321", PROVINCE), ("3110000321", PROVINCE), ("3181000321", PROVINCE),
])
def test_school_code(value, expected):
    assert reason("school-code", value) == expected


MOBILE = "a mobile number has 11 digits and starts with 13 to 19, such as 13804051234"
LANDLINE = "a landline number is the area code and a 7- or 8-digit number, such as 024-23456789"
PHONE = ("type a mobile number (11 digits, such as 13804051234) "
         "or a landline number with its area code (such as 024-23456789)")


@pytest.mark.parametrize("fmt, value, expected", [
    ("mobile", "13804051234", OK), ("mobile", "19912345678", OK), ("mobile", "12804051234", MOBILE),
    ("mobile", "1380405123", MOBILE), ("mobile", "024-23456789", MOBILE),
    ("landline", "024-23456789", OK), ("landline", "02423456789", OK), ("landline", "010-62345678", OK),
    ("landline", "0411-8234567", OK), ("landline", "0411-82345678-123", OK),
    ("landline", "024-03456789", LANDLINE), ("landline", "23456789", LANDLINE), ("landline", "13804051234", LANDLINE),
    ("phone", "13804051234", OK), ("phone", "024-23456789", OK), ("phone", "12345", PHONE),
])
def test_phones(fmt, value, expected):
    assert reason(fmt, value) == expected


@pytest.mark.parametrize("value, expected", [
    ("210000", OK), ("210100", OK), ("211400", OK), ("210102", OK), ("110000", OK), ("110101", OK),
    ("212000", "it is not a GB/T 2260 administrative division code in use"),
    ("210199", "it is not a GB/T 2260 administrative division code in use"),
    ("990000", "it is not a GB/T 2260 administrative division code in use"),
    ("21010", "it must be exactly 6 digits, such as 210100 for Shenyang"),
])
def test_division_code(value, expected):
    assert reason("division-code", value) == expected


@pytest.mark.parametrize("value, expected", [
    ("xiao.wang@example.cn", OK), ("12345@qq.com", OK), ("a+b@mail.school.edu.cn", OK),
    ("xiao@", "an email address looks like name@example.com"),
    ("xiao@example", "an email address looks like name@example.com"),
    ("xiao..wang@example.cn", "an email address looks like name@example.com"),
    ("xiao wang@example.cn", "an email address looks like name@example.com"),
])
def test_email(value, expected):
    assert reason("email", value) == expected


@pytest.mark.parametrize("fmt, value, expected", [
    ("date", "2021-03-05", OK), ("date", "2021-3-5", "type it as YYYY-MM-DD, such as 2021-03-05"),
    ("date-time", "2021-03-05T14:30:00+08:00", OK),
    ("date-time", "2021-03-05T14:30:00", "type it as YYYY-MM-DD HH:MM, such as 2021-03-05 14:30"),
])
def test_dates(fmt, value, expected):
    assert reason(fmt, value) == expected


def test_liaoning_and_its_14_cities():
    assert PROVINCES[LIAONING] == "辽宁省"
    assert list(LIAONING_CITIES) == [f"21{n:02d}00" for n in range(1, 15)]
    assert LIAONING_CITIES["211400"] == "葫芦岛市"
    assert division_name("210102") == "和平区"  # a county, from python-stdnum's GB/T 2260 history
    assert division_name("210000") == "辽宁省"


def test_every_format_has_a_display_name_in_both_languages():
    for name, display in FORMAT_NAMES.items():
        assert gettext(display, "zh_CN") != display, name
        assert gettext(display, "en") == display, name


def test_bad_format_message_says_why_and_never_repeats_a_personal_value():
    spec = FormSpec.from_definition({"type": "object", "properties": {
        "id_no": {"title": "身份证号", "type": "string", "format": "cn-ric",
                  "x-formgen": {"pii": True, "title_en": "ID number"}}}})
    [issue] = validate(spec, {"id_no": "110105194912310021"})
    assert issue.code is Code.BAD_FORMAT and issue.path == "id_no"
    assert issue.schema_location == "$.properties.id_no.format"
    zh, en = issue.message("zh_CN"), issue.message("en")
    assert "身份证号" in zh and "校验码" in zh
    assert "ID number (id_no) is not a valid resident identity card number (居民身份证号码): the check digit" in en
    assert "110105194912310021" not in zh + en
