"""Make examples/returned/: returned files filled the way people fill them, some valid, some with the
mistakes clerks typically make, for the README's examples to run on a fresh clone.

Word and Excel forms are filled by a real headless LibreOffice (tests/office, as the office tests do);
PDF forms by pdftk from an XFDF file.  Run from the project folder after `make build`:

    .venv/bin/python scripts/make_returned_examples.py

The files are committed; run this again only after changing a form or the layout of a format.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formgen.present import display  # noqa: E402
from formgen.spec import Registry  # noqa: E402
from tests import test_docx_office as word  # noqa: E402
from tests import test_xlsx_office as excel  # noqa: E402
from tests.conftest import FORMS, run_cli  # noqa: E402
from tests.office import Office  # noqa: E402

OUT = ROOT / "examples" / "returned"


def generate(form: str, out: Path) -> None:
    result = run_cli("generate", form, "-o", str(out))
    if result.exit_code != 0:
        raise SystemExit(result.output)


def excel_returns(office: Office, work: Path) -> None:
    blank = work / "报告表.xlsx"
    generate("incident-report", blank)
    excel.fill(office, blank, OUT / "报告表-合格.xlsx", excel.SCALARS, excel.MULTILINE, excel.PEOPLE)
    # Typical mistakes: the school left empty, a severity that is not one of the choices, a phone number
    # with a digit missing, an age written in words.
    scalars = {name: typed for name, typed in excel.SCALARS.items() if name != "school_name"}
    scalars.update(severity=("很严重", None), reporter_phone=("1380405123", None))
    people = [excel.PEOPLE[0], ("被欺凌方", "李某某", "男", "初二（3）班", "十三岁"), excel.PEOPLE[2]]
    excel.fill(office, blank, OUT / "报告表-有误.xlsx", scalars, excel.MULTILINE, people)


def word_returns(office: Office, work: Path) -> None:
    blank = work / "报告表.docx"
    generate("incident-report", blank)
    registry = Registry(FORMS)
    word.fill(office, registry, blank, OUT / "报告表-合格.docx", word.TYPED, word.TICKED, word.PICKED, word.PEOPLE)


def xfdf(spec, record: dict) -> str:
    """The record as XFDF, the values shown as a person types them; row fields nested under group > row."""
    def value(name: str, text: str) -> str:
        return f'<field name="{escape(name)}"><value>{escape(text)}</value></field>'

    parts = [value(f.address, display(f, record.get(f.address))) for f in spec.fields()
             if "." not in f.address and record.get(f.address) is not None]
    nested: dict[str, dict] = {}
    for f in spec.fields():
        if "." in f.address:
            head, tail = f.address.split(".", 1)
            if record.get(head, {}).get(tail) is not None:
                nested.setdefault(head, {})[tail] = display(f, record[head][tail])
    for head, inner in nested.items():
        parts.append(f'<field name="{escape(head)}">' + "".join(value(k, v) for k, v in inner.items()) + "</field>")
    for group in spec.groups():
        rows = []
        for i, row in enumerate(record.get(group.address, [])):
            cells = "".join(value(c.name, display(c, row[c.name])) for c in group.columns if row.get(c.name) is not None)
            rows.append(f'<field name="{i}">{cells}</field>')
        parts.append(f'<field name="{escape(group.address)}">' + "".join(rows) + "</field>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<xfdf xmlns="http://ns.adobe.com/xfdf/"><fields>'
            + "".join(parts) + "</fields></xfdf>\n")


def pdf_returns(work: Path) -> None:
    blank = work / "统计表.pdf"
    generate("basic-stats", blank)
    spec = Registry(FORMS).get("basic-stats")
    record = json.loads((FORMS / "examples" / "basic-stats.json").read_text("utf-8"))
    wrong = copy.deepcopy(record)
    wrong["totals"]["hazards_found"] += 3  # the total typed does not add up
    wrong["filled_on"] = "3月9日"  # which year?
    for name, data in (("统计表-合格.pdf", record), ("统计表-合计不符.pdf", wrong)):
        fdf = work / f"{name}.xfdf"
        fdf.write_text(xfdf(spec, data), "utf-8")
        subprocess.run(["pdftk", str(blank), "fill_form", str(fdf), "output", str(OUT / name), "need_appearances"],
                       check=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    office = Office().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            excel_returns(office, work)
            word_returns(office, work)
            pdf_returns(work)
    finally:
        office.stop()
    for path in sorted(OUT.iterdir()):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
