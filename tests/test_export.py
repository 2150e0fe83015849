"""The two functions every exported table uses: neutralise formula-like text, mask personal data."""

import pytest

from formgen.export import clean, mask, neutralise, safe


@pytest.mark.parametrize("text", ["=1+1", "=HYPERLINK(\"http://x\",\"y\")", "+86 138", "-2", "@SUM(A1)",
                                  "\tcmd", "\rcmd", "\x00=cmd"])
def test_formula_like_text_gets_an_apostrophe(text):
    out = neutralise(text)
    assert out.startswith("'")
    assert out[1:] == clean(text)


@pytest.mark.parametrize("text", ["沈阳市第一中学", "1+1", "a=b", " =x", "'already", "", "2021-03-05"])
def test_ordinary_text_is_unchanged(text):
    assert neutralise(text) == text


def test_control_characters_are_removed_but_line_breaks_stay():
    assert clean("甲\x01乙\x0b丙\x7f\n丁\t戊") == "甲乙丙\n丁\t戊"


def test_safe_leaves_numbers_and_dates_alone():
    import datetime as dt
    assert safe(-5) == -5
    assert safe(dt.date(2021, 3, 5)) == dt.date(2021, 3, 5)
    assert safe(None) is None
    assert safe("-5") == "'-5"


@pytest.mark.parametrize("name, masked", [
    ("张三明", "张*明"), ("李四", "李*"), ("欧阳娜娜", "欧**娜"), ("王", "*"),
    ("张三、李四明", "张*、李*明"), ("Zhang San", "Z***g S*n"),
])
def test_names_keep_first_and_last_character(name, masked):
    assert mask(name) == masked


@pytest.mark.parametrize("number, masked", [
    ("21010219900101123X", "2101**********123X"),
    ("13812345678", "138****5678"),
    ("0412-5863217", "041*-***3217"),
])
def test_numbers_keep_first_and_last_digits(number, masked):
    assert mask(number) == masked
