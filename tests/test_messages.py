"""The one catalogue of issue codes against the message catalogs; labels in messages; personal data never in them."""

from __future__ import annotations

import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from formgen.compile.xlsx import XlsxCompiler
from formgen.i18n import LOCALE_DIR
from formgen.issues import Code, Severity
from formgen.pipeline import Result, process
from formgen.record import Extraction, RawValue, build_record
from formgen.spec.model import FormSpec
from formgen.validate import validate
from tests.conftest import ROOT, example


def catalog(lang: str | None) -> dict[str, str]:
    path = LOCALE_DIR / "formgen.pot" if lang is None else LOCALE_DIR / lang / "LC_MESSAGES" / "formgen.po"
    with path.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id}


def placeholders(template: str | tuple[str, ...]) -> set[str]:
    """The named fields of a message; of a message with plural forms, those of all its forms."""
    if isinstance(template, tuple):
        return set().union(*(placeholders(form) for form in template))
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name is not None}


def test_codes_are_unique_and_well_formed():
    ids = [code.id for code in Code]
    assert len(ids) == len(set(ids))
    assert all(len(i) == 5 and i.startswith("FG") and i[2:].isdigit() for i in ids)
    assert all(isinstance(code.severity, Severity) for code in Code)


@pytest.mark.parametrize("code", list(Code), ids=lambda c: c.id)
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_code_has_a_message_with_the_same_placeholders(code, lang):
    translated = catalog(lang).get(code.template)
    assert translated, f"{code.name} has no {lang} message"
    assert placeholders(translated) == placeholders(code.template)
    if lang == "en":
        assert translated == code.template


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_message_is_translated_with_the_same_placeholders(lang):
    template = catalog(None)
    messages = catalog(lang)
    assert set(messages) == set(template)
    for msgid, msgstr in messages.items():
        assert msgstr and all(msgstr), msgid
        if isinstance(msgid, tuple):  # Chinese has one plural form: it may use the fields of either
            assert all(placeholders(form) <= placeholders(msgid) for form in msgstr), msgid
        else:
            assert placeholders(msgstr) == placeholders(msgid), msgid


def test_the_template_is_up_to_date_with_the_sources(tmp_path: Path):
    out = tmp_path / "formgen.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_plural:1,2", "-o", str(out),
                    "--no-location", "--sort-output", "--omit-header", "--no-wrap", "formgen"],
                   cwd=ROOT, check=True, capture_output=True)
    assert out.read_text("utf-8") == (LOCALE_DIR / "formgen.pot").read_text("utf-8"), \
        "run `make i18n-extract` and translate the new entries"


# -- what a clerk sees: the field's label, never a student's personal data -------------------------

SPEC = FormSpec.from_definition({
    "type": "object", "required": ["school_name"],
    "properties": {
        "school_name": {"title": "报告学校", "type": "string", "x-formgen": {"title_en": "Reporting school"}},
        "guardian_phone": {"title": "监护人电话", "type": "string", "format": "mobile", "x-formgen": {"pii": True}},
        "student_id": {"title": "学生身份证号", "type": "string", "format": "cn-ric", "x-formgen": {"pii": True}},
        "school_code": {"title": "学校标识码", "type": "string", "format": "school-code"},
        "persons": {"title": "涉及人员", "type": "array", "items": {"type": "object", "properties": {
            "name": {"title": "姓名", "type": "string", "maxLength": 3, "x-formgen": {"pii": True}},
            "birthday": {"title": "出生日期", "type": "string", "format": "date", "x-formgen": {"pii": True}},
            "age": {"title": "年龄", "type": "integer"}}}},
    },
    "x-formgen-rules": [{"id": "named", "assert": "all(persons, filled(age))", "message": {"zh_CN": "请填写年龄。"}}],
})
TYPED = [RawValue("guardian_phone", "1592222333", "表单!B3"), RawValue("student_id", 110105194912310020.0, "表单!B4"),
         RawValue("school_code", "3199000321", "表单!B5"), RawValue("persons.0.name", "欧阳某某某", "表单!A9"),
         RawValue("persons.0.birthday", "08年3月5日", "表单!B9"), RawValue("persons.1.age", "十三", "表单!C10")]
SECRETS = ["1592222333", "110105194912310020", "1.10105194912310E+17", "欧阳某某某", "08年3月5日"]


def issues() -> Result:
    built = build_record(SPEC, Extraction("f.xlsx", "xlsx", values=TYPED))
    return Result("f.xlsx", data=built.record, issues=built.issues + validate(SPEC, built.record, built.failed))


def test_each_issue_names_the_field_by_its_label():
    result = issues()
    found = {(i.code.name, i.path) for i in result.issues}
    assert found == {("REQUIRED", "school_name"), ("BAD_FORMAT", "guardian_phone"), ("DIGITS_LOST", "student_id"),
                     ("BAD_FORMAT", "school_code"), ("TOO_LONG", "persons.0.name"),
                     ("AMBIGUOUS_VALUE", "persons.0.birthday"), ("NOT_A_NUMBER", "persons.1.age"),
                     ("RULE_FAILED", "persons.0.age")}
    for issue in result.issues:
        zh, en = issue.message("zh_CN"), issue.message("en")
        label = SPEC.label_of(issue.path)
        assert label in zh and SPEC.label_of(issue.path, "en") in en, issue
        assert issue.path in zh or issue.code is Code.RULE_FAILED


def test_personal_data_never_appears_in_messages_or_reports():
    result = issues()
    shown = "\n".join(str(i.to_dict(lang)) for i in result.issues for lang in ("zh_CN", "en"))
    for secret in SECRETS:
        assert secret not in shown


def test_issue_carries_what_was_typed_only_for_non_personal_fields(tmp_path, registry):
    record = dict(example("incident-report"), school_code="3199000321", severity="很严重")
    record["persons"][0]["name"] = "某" * 41  # too long, and personal data
    path = tmp_path / "f.xlsx"
    XlsxCompiler().compile(registry.get("incident-report"), record, path)
    result = process(path, registry)
    typed = {i.path: i.to_dict().get("typed") for i in result.issues}
    assert typed == {"school_code": "3199000321", "severity": "很严重", "persons.0.name": None}
