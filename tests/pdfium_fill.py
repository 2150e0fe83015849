"""Type into a PDF form with PDFium, the engine of Chrome's and Edge's PDF viewers (through pypdfium2), the way a
person does: focus a text field, one keystroke per character (FORM_OnChar; a line break is Enter), leave the
field; then save the document with PDFium. PDFium writes the typed field's appearance itself."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as raw

ENTER = 0x0D


def _name(form: raw.FPDF_FORMHANDLE, annot: raw.FPDF_ANNOTATION) -> str:
    size = raw.FPDFAnnot_GetFormFieldName(form, annot, None, 0)
    buffer = ctypes.create_string_buffer(size)
    raw.FPDFAnnot_GetFormFieldName(form, annot, ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR)), size)
    return buffer.raw[:size - 2].decode("utf-16-le")


def type_into(blank: Path, out: Path, values: dict[str, str]) -> None:
    """Type ``values`` (a text field's full name -> what is typed) into ``blank`` and save it as ``out``."""
    pdf = pdfium.PdfDocument(str(blank))
    pdf.init_forms()
    form = pdf.formenv.raw
    typed = set()
    for index in range(len(pdf)):
        kept = pdf[index]  # the page is closed when this object goes
        page = kept.raw
        raw.FORM_OnAfterLoadPage(page, form)
        for number in range(raw.FPDFPage_GetAnnotCount(page)):
            annot = raw.FPDFPage_GetAnnot(page, number)
            if raw.FPDFAnnot_GetSubtype(annot) == raw.FPDF_ANNOT_WIDGET and (name := _name(form, annot)) in values:
                assert raw.FORM_SetFocusedAnnot(form, annot)
                text = values[name].replace("\n", "\r").encode("utf-16-le")
                for at in range(0, len(text), 2):
                    raw.FORM_OnChar(form, page, int.from_bytes(text[at:at + 2], "little"), 0)
                raw.FORM_ForceToKillFocus(form)
                typed.add(name)
            raw.FPDFPage_CloseAnnot(annot)
        raw.FORM_OnBeforeClosePage(page, form)
    assert typed == set(values), f"no text field named {sorted(set(values) - typed)}"
    pdf.save(str(out))
    pdf.close()
