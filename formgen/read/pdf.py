"""Read a returned PDF form: identity from the document information, values from the AcroForm fields.

Values come from pypdf's ``get_fields()`` (not ``get_form_text_fields()``,
which skips check boxes and choices), keyed by the fields' full names, which
are the field addresses.  A yes/no field is a pair of 是/否 boxes (a radio
group with the states ``/Yes`` and ``/No``): ``/Yes`` is true, ``/No`` false,
and a pair nobody touched (``/Off``) is nothing, so a required yes/no field
left alone is reported as not filled, as in the Excel and Word forms.  A
single check box (a yes/no column of a repeating group, a letter's box) is on
when its value is anything but ``/Off``; unticked it is ``false`` for a
single field and nothing for a row, so an empty row stays empty.  Rows are numbered by their order among the
filled rows (see ``formgen.record``).

A file encrypted with an empty user password is opened; otherwise it is
FILE_ENCRYPTED.  A PDF without form fields (XFA-only, flattened, printed or
scanned) is NO_FILLABLE_FIELDS, never a form with all fields empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, BinaryIO

import pypdf
from pypdf import PasswordType

from formgen.coerce import Context, is_empty
from formgen.layout.pdf import INFO_FORM, INFO_HASH, INFO_UNIT, INFO_VERSION, NO
from formgen.i18n import N_
from formgen.issues import Code, Issue, Unreadable
from formgen.record import Identity, RawValue
from formgen.spec.model import FormSpec


@dataclass
class PdfDoc:
    reader: pypdf.PdfReader
    fields: dict[str, Any]


class PdfReader:
    format = "pdf"

    def open(self, stream: BinaryIO) -> PdfDoc:
        reader = pypdf.PdfReader(stream)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise Unreadable(Issue(Code.FILE_ENCRYPTED))
        fields = reader.get_fields() or {}
        if not any("/FT" in f for f in fields.values()):
            acroform = reader.trailer["/Root"].get("/AcroForm")
            xfa = acroform is not None and "/XFA" in acroform.get_object()
            raise Unreadable(Issue(Code.NO_FILLABLE_FIELDS, params={
                "reason": N_("an XFA form, which formgen cannot read") if xfa
                else N_("a flattened, printed or scanned PDF")}))
        return PdfDoc(reader, fields)

    def identity(self, doc: PdfDoc) -> Identity | None:
        info = doc.reader.metadata or {}
        form, version = info.get(INFO_FORM), info.get(INFO_VERSION)
        if not form or not version:
            return None
        unit = str(info.get(INFO_UNIT) or "").strip() or None
        return Identity(str(form), str(version), info.get(INFO_HASH) and str(info[INFO_HASH]), unit)

    def context(self, doc: PdfDoc) -> Context:
        return Context()

    def values(self, doc: PdfDoc, spec: FormSpec) -> tuple[list[RawValue], list[Issue]]:
        values: list[RawValue] = []
        issues: list[Issue] = []
        fields = doc.fields
        for field in spec.fields():
            found = fields.get(field.address)
            if found is None or "/FT" not in found:
                issues.append(Issue(Code.LAYOUT_CHANGED, field.address, field.address, {
                    "label": spec.labels_of(field.address), "reason": N_("its PDF form field is missing")}))
                continue
            values.append(RawValue(field.address, _value(found, in_row=False), field.address))
        for group in spec.groups():
            first = f"{group.address}.0.{group.columns[0].name}"
            if first in fields:
                values.append(RawValue(group.address, None, first))
            pattern = re.compile(re.escape(group.address) + r"\.(\d+)\.([^.]+)$")
            rows: dict[int, list[tuple[str, str, Any]]] = {}
            for name, found in fields.items():
                match = pattern.match(name)
                if match and "/FT" in found and group.column(match[2]) is not None:
                    value = _value(found, in_row=True)
                    if not is_empty(value):
                        rows.setdefault(int(match[1]), []).append((match[2], name, value))
            for index, row in enumerate(rows[i] for i in sorted(rows)):
                for column, name, value in row:
                    values.append(RawValue(f"{group.address}.{index}.{column}", value, name))
        return values, issues


def _value(field: dict, in_row: bool) -> Any:
    """A field's value as text; a 是/否 pair as True/False, or nothing when untouched; a single check
    box as True/False (an unticked box in a row as nothing)."""
    value = field.get("/V")
    if field.get("/FT") == "/Btn":
        state = "" if value is None else str(value).lstrip("/")
        if NO in field.get("/_States_", ()):
            return None if state in ("", "Off") else state != NO.lstrip("/")
        on = state not in ("Off", "")
        return True if on else (None if in_row else False)
    if isinstance(value, list):  # a multi-select list: not made by formgen, read as its text
        return ", ".join(str(v) for v in value)
    return None if value is None else str(value)
