"""A bureau's round of returns, built the way it happens: a roster, forms distributed per unit, filled by people
in LibreOffice (Excel, Word) or by pdftk (PDF), some wrong, some broken, some sent twice.

``build_round(root, office, registry)`` writes the roster, distributes every form with ``formgen generate --roster``,
fills the returns and litters the folder, and returns the ``Round``: what every file is and what ``formgen batch``
must say about it.  Used by tests/test_batch_e2e.py.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from formgen.layout.docx import CHECKBOX, DROPDOWN, layout, widget
from formgen.layout.xlsx import FORM_SHEET, defined_name, table_name
from formgen.paths import get_path
from formgen.spec.model import Field, FormSpec, Group
from tests.conftest import example, run_cli

CST = dt.timezone(dt.timedelta(hours=8))
ROSTER_HEADER = ["单位代码", "单位名称", "联系人", "联系电话", "应报表单"]
FORM_SEPARATOR = ";"
#: Every return arrives in the week before the statistics are due; one arrives two days late.
FIRST_RECEIVED = dt.datetime(2021, 3, 8, 9, 0, tzinfo=CST)
LATE_RECEIVED = dt.datetime(2021, 3, 12, 15, 30, tzinfo=CST)
STATS_DEADLINE = "basic-stats=2021-03-10T18:00"
ISSUER = "辽宁省教育厅基础教育处"

CITY_FORMS = ("basic-stats", "hazard-ledger", "task-list")
DISTRICT_FORMS = ("policy-checklist", "review-decision")
SCHOOL_FORMS = ("incident-report", "parent-notice", "committee-determination", "appeal")
OFFICE_FORMS = ("notice-letter",)
FORMATS = ("xlsx", "docx", "pdf")
SUFFIX = {"xlsx": ".xlsx", "docx": ".docx", "pdf": ".pdf"}


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    contact: str
    phone: str
    forms: tuple[str, ...]


CITIES = ["沈阳", "大连", "鞍山", "抚顺", "本溪", "丹东", "锦州", "营口", "阜新", "辽阳", "盘锦", "铁岭", "朝阳", "葫芦岛"]
CITY_CODES = ["2101", "2102", "2103", "2104", "2105", "2106", "2107", "2108", "2109", "2110", "2111", "2112", "2113",
              "2114"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋"

UNITS: list[Unit] = (
    [Unit(f"{code}000000", f"{city}市教育局", f"{SURNAMES[i]}主任", f"024-2386{1000 + i}", CITY_FORMS)
     for i, (city, code) in enumerate(zip(CITIES, CITY_CODES))]
    + [Unit(f"2103{n:02d}0000", f"鞍山市{district}教育局", f"{SURNAMES[n]}科长", f"0412-586{3200 + n}",
            DISTRICT_FORMS)
       for n, district in [(2, "铁东区"), (3, "铁西区"), (4, "立山区"), (11, "千山区")]]
    + [Unit(code, name, f"{SURNAMES[20 + i]}老师", f"1380405{1200 + i}", SCHOOL_FORMS)
       for i, (code, name) in enumerate([("3121000321", "沈阳市第八十二中学"), ("3121004211", "海城市第三中学"),
                                         ("2121012345", "海城市牛庄镇中心小学"), ("3121007789", "海城市腾鳌镇中学")])]
    + [Unit("2100000000", "辽宁省教育厅办公室", "赵秘书", "024-86891234", OFFICE_FORMS)]
)
MISSING = ("朝阳市教育局", "海城市腾鳌镇中学")  # return nothing at all
LATE = "铁岭市教育局"  # returns its statistics two days after the deadline


def unit(name: str) -> Unit:
    return next(u for u in UNITS if u.name == name)


def write_roster(path: Path, units: list[Unit] = UNITS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(ROSTER_HEADER)
        for u in units:
            out.writerow([u.code, u.name, u.contact, u.phone, FORM_SEPARATOR.join(u.forms)])
    return path


# -- what each unit writes ---------------------------------------------------------------------------------------

STAT_COLUMNS = ("schools", "schools_checked", "hazards_found", "hazards_fixed", "incidents_found", "incidents_handled",
                "incidents_police", "students_disciplined", "students_counselled", "trainings", "parent_sessions",
                "committees")


def record(form: str, u: Unit, k: int) -> dict:
    """The example record of ``form`` as unit ``u`` (the k-th of its kind) fills it in: its own name, code,
    numbers and people, so no two returns are alike."""
    data = copy.deepcopy(example(form))
    person = f"{SURNAMES[k % len(SURNAMES)]}{'建国立新文静海涛丽娜'[k % 5 * 2:k % 5 * 2 + 2]}"
    if form == "basic-stats":
        rows = data["divisions"][:2 + k % 3]
        for n, row in enumerate(rows):
            for col in STAT_COLUMNS:
                row[col] += (k + n) % 3
            row["schools"] += k
            row["schools_checked"] += k
        data.update(unit=u.name, filler=person, divisions=rows,
                    totals={col: sum(row[col] for row in rows) for col in STAT_COLUMNS})
    elif form in ("hazard-ledger", "task-list", "policy-checklist"):
        data.update(unit=u.name, filler=person)
        if form == "hazard-ledger":
            data["hazards"] = data["hazards"][:1 + k % 3]
        if form == "policy-checklist":  # each district has its own measures still open
            for row in data["measures"][k * 5:k * 5 + 1 + k]:
                row.update(status="not", note="经费未到位，计划下学期落实")
    elif form == "incident-report":
        data.update(school_name=u.name, school_code=u.code, reporter=person, report_no=f"2021-{30 + k:03d}")
    elif form == "parent-notice":
        data.update(school_name=u.name, notice_no=f"校告〔2021〕{k + 1}号", contact_person=person)
    elif form == "committee-determination":
        data.update(school_name=u.name, doc_no=f"校欺认〔2021〕{k + 1}号")
    elif form == "appeal":
        data.update(student_school=u.name, respondent_school=u.name, department=u.name, appellant_name=person,
                    appellant_signature=person)
    elif form == "review-decision":
        data.update(department=u.name, doc_no=f"鞍教欺复〔2021〕{k + 1}号")
    elif form == "notice-letter":
        data.update(printed_by=u.name)
    return data


# -- filling, as a person does -----------------------------------------------------------------------------------

def typed(f: Field, value) -> str:
    """What a person types for a value: the choice's label, 是/否, a date as 2021-03-09, a time as 2021-03-09 10:20."""
    if f.kind in ("choice", "boolean"):
        return f.label_for(value)
    if f.kind == "datetime":
        return dt.datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _rows(group: Group, data: dict) -> list[tuple[int, dict]]:
    """(row index on the form, values) of the record's rows; pre-printed rows are found by their key."""
    rows = get_path(data, group.address) or []
    if not group.fixed_rows:
        return list(enumerate(rows))
    index = {fixed[group.key]: i for i, fixed in enumerate(group.fixed_rows)}
    return [(index[row[group.key]], row) for row in rows]


def _entered(group: Group) -> list[tuple[int, Field]]:
    """(column index, column) of the columns a person fills in (not the pre-printed ones)."""
    return [(i, col) for i, col in enumerate(group.shown_columns) if not (group.fixed_rows and col.readonly)]


def xlsx_ops(spec: FormSpec, blank: Path, out: Path, data: dict) -> list[dict]:
    ops: list[dict] = [{"op": "open", "path": str(blank)}]
    for f in spec.fields():
        value = get_path(data, f.address)
        if value is None:
            continue
        op = "type_string" if f.kind in ("string", "text") else "type"
        ops.append({"op": op, "name": defined_name(f.address), "text": typed(f, value)})
    book = load_workbook(blank)
    ws = book[FORM_SHEET]
    for group in spec.groups():
        table = ws.tables.get(table_name(group.address))  # or, rows with merged cells, the range named as the group
        named = book.defined_names.get(defined_name(group.address))
        ref = table.ref if table is not None else next(iter(named.destinations))[1]
        _c, header, _c2, _r = range_boundaries(ref.replace("$", ""))
        for index, row in _rows(group, data):
            for i, col in _entered(group):
                if row.get(col.name) is None:
                    continue
                op = "type_string" if col.kind in ("string", "text") else "type"
                ops.append({"op": op, "cell": f"{FORM_SHEET}!{chr(65 + i)}{header + 1 + index}",
                            "text": typed(col, row[col.name])})
    return ops + [{"op": "save", "path": str(out)}, {"op": "close"}]


def _widget_op(kind: str, where: dict, f: Field, value) -> list[dict]:
    text = typed(f, value)
    if kind == CHECKBOX:
        return [{"op": "tick", **where, "choice": text}]
    if kind == DROPDOWN:
        return [{"op": "pick", **where, "item": text}]
    return [{"op": "fill", **where, "text": text}]


def docx_ops(spec: FormSpec, blank: Path, out: Path, data: dict) -> list[dict]:
    """A Word form: every value cell named by its table and cell (labels repeat, e.g. a total and its column)."""
    ops: list[dict] = [{"op": "open", "path": str(blank)}]
    for table in layout(spec).tables:
        if table.group is not None:
            for index, row in _rows(table.group, data):
                for i, col in _entered(table.group):
                    if row.get(col.name) is not None:
                        where = {"table": table.number, "cell": f"{chr(65 + i)}{index + 2}"}
                        ops += _widget_op(widget(col, in_row=True), where, col, row[col.name])
            if table.total is not None:  # the 合计 row under the blank rows: its label spans the first cells
                r = 2 + max(table.group.blank_rows, len(_rows(table.group, data)))
                for c, cell in enumerate(table.total.cells):
                    value = get_path(data, cell.field.address) if cell.field else None
                    if value is not None:
                        ops += _widget_op(widget(cell.field), {"table": table.number, "cell": f"{chr(65 + c)}{r}"},
                                          cell.field, value)
            continue
        for r, row_cells in enumerate(table.rows, start=1):
            for c, cell in enumerate(row_cells.cells):
                value = get_path(data, cell.field.address) if cell.field else None
                if value is not None:
                    where = {"table": table.number, "cell": f"{chr(65 + c)}{r}"}
                    ops += _widget_op(widget(cell.field), where, cell.field, value)
    return ops + [{"op": "save", "path": str(out)}, {"op": "close"}]


def letter_tags(path: Path) -> list[str]:
    """The tag of each content control in the paragraphs outside tables, in the order the UNO driver counts."""
    doc = Document(str(path))
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    tags = []
    for p in doc.element.body.findall("w:p", ns):
        for tag in p.findall("w:sdt/w:sdtPr/w:tag", ns):
            tags.append(tag.get(f"{{{ns['w']}}}val"))
    return tags


def fill_pdftk(spec: FormSpec, blank: Path, out: Path, data: dict) -> None:
    """pdftk-java fill_form with a UTF-8 XFDF, as another PDF tool fills the form (a yes/no question is a pair of
    buttons whose states are Yes and No)."""
    values: dict[str, str] = {}
    for f in spec.fields():
        value = get_path(data, f.address)
        if value is not None:
            values[f.address] = ("Yes" if value else "No") if f.kind == "boolean" else typed(f, value)
    for group in spec.groups():
        for index, row in _rows(group, data):
            for _i, col in _entered(group):
                if row.get(col.name) is not None:
                    values[f"{group.address}.{index}.{col.name}"] = typed(col, row[col.name])
    pdftk_fill(blank, out, values)


def pdftk_fill(blank: Path, out: Path, values: dict[str, str]) -> None:
    """pdftk-java fill_form of ``blank`` into ``out`` with a UTF-8 XFDF of these field values (a check box or a
    yes/no button takes its state: Yes, No)."""
    fields = "".join(f'<field name="{name}"><value>{escape(text)}</value></field>' for name, text in values.items())
    xfdf = out.with_suffix(".xfdf")
    xfdf.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<xfdf xmlns="http://ns.adobe.com/xfdf/" '
                    f'xml:space="preserve"><fields>{fields}</fields></xfdf>', "utf-8")
    subprocess.run(["pdftk", str(blank), "fill_form", str(xfdf), "output", str(out)], check=True,
                   capture_output=True)
    xfdf.unlink()


# -- the round ---------------------------------------------------------------------------------------------------

@dataclass
class Expect:
    """What ``formgen batch`` must say about one file."""

    status: str
    codes: set[str] = field(default_factory=set)  # issue codes that must be among the file's issues
    unit: str | None = None  # the unit code it must be matched to
    form: str | None = None
    late: bool = False
    paths: set[str] = field(default_factory=set)  # issue paths that must be among the file's issues
    other: str | None = None  # duplicate_of / superseded_by


@dataclass
class Round:
    folder: Path
    roster: Path
    expect: dict[str, Expect] = field(default_factory=dict)  # relpath -> expectation
    records: dict[str, dict] = field(default_factory=dict)  # relpath -> the record a valid return holds
    received: dict[str, dt.datetime] = field(default_factory=dict)


@dataclass
class Job:
    """One return to fill: whose, which form, in which format, with what, and what batch must make of it."""

    unit: Unit
    form: str
    fmt: str
    data: dict
    rel: str
    expect: Expect


def distribute(wanted: set[tuple[Unit, str, str]], out: Path) -> dict[tuple[str, str, str], Path]:
    """Each unit gets each form in the format it asked for: per form and format, ``formgen generate FORM --roster
    R --format FMT -o DIR`` with R the roster of the units that asked for it; a unit's file is named
    ``<code>-<name>-<form title>``.  Returns {(unit code, form, format): file}."""
    asked: dict[tuple[str, str], list[Unit]] = {}
    for u, form, fmt in wanted:
        asked.setdefault((form, fmt), []).append(u)
    blanks: dict[tuple[str, str, str], Path] = {}
    for (form, fmt), units in sorted(asked.items()):
        folder = out / f"{form}-{fmt}"
        roster = write_roster(out / f"{form}-{fmt}.csv", [Unit(u.code, u.name, u.contact, u.phone, (form,))
                                                         for u in sorted(units, key=lambda u: u.code)])
        result = run_cli("generate", form, "--roster", str(roster), "--format", fmt, "-o", str(folder))
        assert result.exit_code == 0, result.output
        files = sorted(folder.iterdir())
        for u in units:
            mine = [p for p in files if p.name.startswith(f"{u.code}-{u.name}-")]
            assert len(mine) == 1, (form, fmt, u, [p.name for p in files])
            blanks[(u.code, form, fmt)] = mine[0]
    return blanks


#: The formats each form is returned in, in turn.  Letters are returned in Excel or PDF: a distributed Word letter
#: has no control to type a multi-line answer into (see test_batch_e2e).
ROTATION = {"basic-stats": FORMATS, "hazard-ledger": ("docx", "pdf", "xlsx"), "task-list": ("pdf", "xlsx", "docx"),
            "policy-checklist": FORMATS, "review-decision": ("xlsx", "pdf"), "incident-report": ("xlsx", "docx", "pdf"),
            "parent-notice": ("xlsx", "pdf"), "committee-determination": ("pdf", "xlsx"), "appeal": ("pdf", "xlsx"),
            "notice-letter": ("pdf",)}
TITLES = {"basic-stats": "基本情况统计表", "hazard-ledger": "排查台账", "task-list": "任务清单", "policy-checklist": "政策清单",
          "review-decision": "复查决定书", "incident-report": "事件报告表", "parent-notice": "家校告知书",
          "committee-determination": "调查认定书", "appeal": "申诉书", "notice-letter": "通知"}


def plan() -> list[Job]:
    """Every return of the round: each unit's forms, the formats in turn."""
    jobs: list[Job] = []
    for u in UNITS:
        if u.name in MISSING:
            continue
        for form in u.forms:
            k = sum(1 for j in jobs if j.form == form)
            fmt = ROTATION[form][k % len(ROTATION[form])]
            rel = f"{u.name}/{u.name}-{TITLES[form]}{SUFFIX[fmt]}"
            jobs.append(Job(u, form, fmt, record(form, u, k), rel,
                            Expect("valid", unit=u.code, form=form, late=(u.name == LATE and form == "basic-stats"))))
    return jobs


def spoil(jobs: list[Job]) -> list[Job]:
    """Make some returns wrong the ways people do; returns the corrected resubmission."""
    def job(name: str, form: str) -> Job:
        return next(j for j in jobs if j.unit.name == name and j.form == form)

    bad_number = job("抚顺市教育局", "basic-stats")  # a number typed in words
    bad_number.data["divisions"][0]["schools"] = "五十二"
    bad_number.expect = Expect("invalid", {"FG201"}, bad_number.unit.code, "basic-stats",
                               paths={"divisions.0.schools"})
    bad_total = job("本溪市教育局", "basic-stats")  # a 合计 that is not the sum of its rows
    bad_total.data["totals"]["hazards_found"] += 3
    bad_total.expect = Expect("invalid", {"FG320"}, bad_total.unit.code, "basic-stats")
    empty = job("丹东市教育局", "task-list")  # a required field left empty
    del empty.data["filler"]
    empty.expect = Expect("invalid", {"FG301"}, empty.unit.code, "task-list", paths={"filler"})

    first = job("沈阳市第八十二中学", "incident-report")  # sent without the place, then again, corrected
    corrected = Job(first.unit, first.form, first.fmt, first.data, first.rel.replace("事件报告表", "事件报告表（修改后）"),
                    Expect("valid", unit=first.unit.code, form=first.form))
    first.data = copy.deepcopy(first.data)
    del first.data["place"]
    first.expect = Expect("superseded", {"FG116"}, first.unit.code, first.form, other=corrected.rel)

    return [corrected]


def fill(office, registry, jobs: list[Job], blanks: dict, folder: Path) -> None:
    """Fill every return: all LibreOffice edits in one session while pdftk fills the PDFs beside it."""
    ops: list[dict] = []
    with ThreadPoolExecutor(2) as pool:
        pdfs = []
        for j in jobs:
            spec = registry.get(j.form)
            blank = blanks[(j.unit.code, j.form, j.fmt)]
            out = folder / j.rel
            out.parent.mkdir(parents=True, exist_ok=True)
            if j.fmt == "pdf":
                pdfs.append(pool.submit(fill_pdftk, spec, blank, out, j.data))
            elif j.fmt == "xlsx":
                ops += xlsx_ops(spec, blank, out, j.data)
            else:
                ops += docx_ops(spec, blank, out, j.data)
        office.run(ops, timeout=900)
        for done in pdfs:
            done.result()


def litter(rnd: Round, blanks: dict, work: Path, office) -> None:
    """The files nobody meant to send, or that cannot be read."""
    folder = rnd.folder
    shenyang = unit("沈阳市教育局")
    ledger = folder / f"{shenyang.name}/{shenyang.name}-排查台账"
    source = next(p for p in (ledger.with_suffix(s) for s in SUFFIX.values()) if p.exists())
    dup = f"{shenyang.name}/再次发送-{source.name}"
    shutil.copyfile(source, folder / dup)
    rnd.expect[dup] = Expect("duplicate", {"FG115"}, shenyang.code, "hazard-ledger",
                             other=str(source.relative_to(folder)))

    dalian = unit("大连市教育局")
    full = next((folder / dalian.name).glob("*基本情况统计表*"))
    cut = f"{dalian.name}/{dalian.name}-基本情况统计表（传输中断）{full.suffix}"
    data = full.read_bytes()
    (folder / cut).write_bytes(data[:len(data) // 2])
    rnd.expect[cut] = Expect("unreadable", {"FG101"})

    anshan = unit("鞍山市教育局")  # saved as Excel 97-2003 by LibreOffice
    rel = f"{anshan.name}/{anshan.name}-任务清单.xls"
    office.run([{"op": "open", "path": str(blanks[(anshan.code, "task-list", "xlsx")])},
                {"op": "save", "path": str(folder / rel), "filter": "MS Excel 97"}, {"op": "close"}])
    rnd.expect[rel] = Expect("unreadable", {"FG102"})

    pdf = next(p for p in folder.rglob("*.pdf"))
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", str(pdf), str(work / "photo")], check=True)
    rel = f"{pdf.parent.name}/手机拍照.png"
    shutil.copyfile(work / "photo.png", folder / rel)
    rnd.expect[rel] = Expect("unreadable", {"FG102"})

    other = Document()
    other.add_heading("关于召开家长会的通知", 1)
    other.add_paragraph("定于周五下午三点在学校礼堂召开家长会，请各位家长准时参加。")
    rel = "海城市第三中学/家长会通知.docx"
    other.save(str(folder / rel))
    rnd.expect[rel] = Expect("unreadable", {"FG103"})

    rel = "盘锦市教育局/新建文本文档.xlsx"
    (folder / rel).parent.mkdir(exist_ok=True)
    (folder / rel).write_bytes(b"")
    rnd.expect[rel] = Expect("unreadable", {"FG102"})

    rel = f"{shenyang.name}/~$沈阳市教育局-基本情况统计表.xlsx"
    (folder / rel).write_bytes(b"\x0bWang Lixin ".ljust(165, b"\x00"))
    rnd.expect[rel] = Expect("skipped", {"FG111"})
    rel = ".DS_Store"
    (folder / rel).write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(2040))
    rnd.expect[rel] = Expect("skipped", {"FG111"})


def received_times(rnd: Round) -> None:
    """Each file's modification time: one minute apart in path order, the corrected return after the first,
    the late statistics two days after the deadline."""
    for n, rel in enumerate(sorted(rnd.expect)):
        rnd.received[rel] = FIRST_RECEIVED + dt.timedelta(minutes=10 * n)
    for rel, exp in rnd.expect.items():
        if exp.late:
            rnd.received[rel] = LATE_RECEIVED
        if exp.status == "superseded":
            rnd.received[exp.other] = rnd.received[rel] + dt.timedelta(hours=3)
        if exp.status == "duplicate":
            rnd.received[rel] = rnd.received[exp.other] + dt.timedelta(hours=1)
    for rel, when in rnd.received.items():
        os.utime(rnd.folder / rel, (when.timestamp(), when.timestamp()))


def build_round(root: Path, office, registry) -> Round:
    roster = write_roster(root / "名单.csv")
    folder = root / "returns"
    folder.mkdir()
    rnd = Round(folder, roster)
    jobs = plan()
    jobs += spoil(jobs)
    distributed = root / "distributed"
    distributed.mkdir()
    blanks = distribute({(j.unit, j.form, j.fmt) for j in jobs} | {(unit("鞍山市教育局"), "task-list", "xlsx")},
                        distributed)
    fill(office, registry, jobs, blanks, folder)
    for j in jobs:
        rnd.expect[j.rel] = j.expect
        rnd.records[j.rel] = j.data
    work = root / "work"
    work.mkdir()
    litter(rnd, blanks, work, office)
    received_times(rnd)
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == sorted(rnd.expect)
    return rnd
