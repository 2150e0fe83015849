"""`make bench` (``python -m bench``): formgen's times printed against floors measured in the same run.

Every figure is a median; every ratio is the median of per-round ratios, formgen and its floor run one
after the other in each round (interleaved), on the same file, so a machine loaded by other work slows
both alike.  BENCHMARKS.md says what each floor is and why it is the floor.  Asserts nothing.

    python -m bench [--reps N] [--rows 10,100,1000] [--units 300] [--pdf-units N] [--no-demo] [--only SECTIONS]

SECTIONS (comma separated): start, read, write, pdf, roster, demo.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BIN = Path(PY).parent
FORMGEN = str(BIN / "formgen")

#: what ``formgen validate`` needs besides formgen's own code, per format: the CLI, the format's reader
#: library, JSON-Schema validation, the rule parser and the identifier checks
VALIDATE_NEEDS = "click, jsonschema, lark, stdnum.cn.ric, stdnum.cn.uscc"
READER_LIBS = {"xlsx": "lxml.etree", "docx": "lxml.etree", "pdf": "pikepdf"}

GOALS = {"help": 2.0, "validate": 1.5, "read": 3.0, "read-pdf": 2.0, "write-xlsx": 1.3, "write-docx": 1.3}


def now() -> float:
    return time.perf_counter()


def timed(fn: Callable[[], object]) -> float:
    start = now()
    fn()
    return (now() - start) * 1000


def paired(subject: Callable[[], object], floor: Callable[[], object], reps: int) -> tuple[float, float, float]:
    """(median ms of subject, median ms of floor, median of per-round ratios); order alternates per round."""
    subject(), floor()  # warm both: first calls load modules and caches
    s_times, f_times, ratios = [], [], []
    for i in range(reps):
        if i % 2:
            f, s = timed(floor), timed(subject)
        else:
            s, f = timed(subject), timed(floor)
        s_times.append(s)
        f_times.append(f)
        ratios.append(s / f)
    return statistics.median(s_times), statistics.median(f_times), statistics.median(ratios)


def line(name: str, ms: float, floor_ms: float | None = None, ratio: float | None = None,
         goal: float | None = None, extra: str = "") -> None:
    text = f"  {name:<44} {ms:9.1f} ms"
    if floor_ms is not None:
        text += f"  floor {floor_ms:8.1f} ms  ratio {ratio:5.2f}"
        if goal is not None:
            text += f"  (goal <= {goal:g}: {'met' if ratio <= goal else 'NOT met'})"
    print(text + (f"  {extra}" if extra else ""), flush=True)


# -- inputs ------------------------------------------------------------------------------------------------

def example(form: str) -> dict:
    return json.loads((ROOT / "forms" / "examples" / f"{form}.json").read_text("utf-8"))


def ledger(rows: int) -> dict:
    """The hazard ledger's example with its rows repeated to ``rows`` rows."""
    data = example("hazard-ledger")
    base = data["hazards"]
    data["hazards"] = [copy.deepcopy(base[i % len(base)]) for i in range(rows)]
    return data


def cases(rows: list[int]) -> list[tuple[str, str, dict]]:
    """(label, form, record): the incident report (small), then the hazard ledger at each row count."""
    return [("incident-report", "incident-report", example("incident-report"))] + [
        (f"hazard-ledger {n} rows", "hazard-ledger", ledger(n)) for n in rows]


def compilers():
    from formgen.compile import COMPILERS
    return COMPILERS


def registry():
    from formgen.spec import Registry
    return Registry(ROOT / "forms")


# -- start-up ----------------------------------------------------------------------------------------------

def run(cmd: list[str], **kw) -> float:
    start = now()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return (now() - start) * 1000


def bench_start(reps: int, tmp: Path) -> None:
    print(f"CLI start-up: separate processes, {reps} rounds, interleaved", flush=True)
    # formgen's modules compiled to bytecode, as an installed package's are (pip compiles a wheel's modules;
    # an editable install, under PYTHONDONTWRITEBYTECODE, would compile every module at every start)
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "formgen")], check=True, stdout=subprocess.DEVNULL)
    reg = registry()
    spec = reg.get("incident-report")
    files = {}
    for fmt in ("xlsx", "docx", "pdf"):
        files[fmt] = tmp / f"start.{fmt}"
        compilers()[fmt].compile(spec, example("incident-report"), files[fmt])
    pairs = {"formgen --help ÷ import click": ([FORMGEN, "--help"], [PY, "-c", "import click"], GOALS["help"])}
    for fmt, path in files.items():
        pairs[f"formgen validate {fmt} ÷ import its libraries"] = (
            [FORMGEN, "validate", str(path)], [PY, "-c", f"import {VALIDATE_NEEDS}, {READER_LIBS[fmt]}"],
            GOALS["validate"])
    for name, (cmd, floor, goal) in pairs.items():
        line(name, *paired(lambda: run(cmd), lambda: run(floor), reps), goal=goal)


# -- reading -----------------------------------------------------------------------------------------------

def unzip_and_parse(path: Path) -> None:
    """The floor of an OOXML reader: unzip every XML part and parse it with lxml."""
    from lxml import etree
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(zf.read(name), parser)


def pikepdf_walk(path: Path) -> dict:
    """The floor of a PDF reader: qpdf opens the file (without copying inherited attributes to every page,
    which a field walk does not need), and every terminal field's name and value is read."""
    import pikepdf
    out = {}
    with pikepdf.open(path, inherit_page_attributes=False) as pdf:
        stack = [(f, "") for f in pdf.Root.AcroForm.Fields]
        while stack:
            node, prefix = stack.pop()
            name = prefix + str(node.get("/T", ""))
            kids = node.get("/Kids")
            if kids is not None and any("/T" in k for k in kids):
                stack.extend((k, name + ".") for k in kids)
            else:
                value = node.get("/V")
                out[name] = str(value) if value is not None else None
    return out


def bench_read(reps: int, rows: list[int], tmp: Path, formats=("xlsx", "docx", "pdf")) -> None:
    from formgen.pipeline import process
    reg = registry()
    print(f"Extract + validate (formgen.pipeline.process) per file, {reps} rounds, interleaved with the floor",
          flush=True)
    for fmt in formats:
        for label, form, data in cases(rows):
            path = tmp / f"read-{form}-{len(json.dumps(data))}.{fmt}"
            compilers()[fmt].compile(reg.get(form), data, path)
            result = process(path, reg)  # 1,000 rows exceed the ledger's 500: read in full, then one FG309
            assert result.readable and {i.code.id for i in result.issues if i.severity.value == "error"} <= {
                "FG309"}, (path, result.issues)
            floor = (lambda: pikepdf_walk(path)) if fmt == "pdf" else (lambda: unzip_and_parse(path))
            n = reps if "1000" not in label else max(3, reps // 4)
            line(f"{fmt} {label}", *paired(lambda: process(path, reg), floor, n),
                 goal=GOALS["read-pdf" if fmt == "pdf" else "read"])


# -- writing -----------------------------------------------------------------------------------------------

#: what a data validation says, as formgen's writer and the floor set it
_VALIDATION = ("type", "operator", "formula1", "formula2", "allow_blank", "showErrorMessage", "showInputMessage",
               "promptTitle", "prompt", "error", "errorTitle")


def openpyxl_floor(path: Path, out: Path) -> Callable[[], None]:
    """Bare openpyxl writing the same content as formgen's file (read back from it): the cells' values, merged
    ranges, column widths and row heights, data validations, tables, defined names, the sheets' protection,
    visibility and print setup; with one shared set of style objects; as a function to time."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.styles import Alignment, Border, Font, Protection, Side
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.table import Table, TableStyleInfo
    src = load_workbook(path)
    sheets = []
    for ws in src.worksheets:
        sheets.append({
            "title": ws.title, "state": ws.sheet_state, "protected": bool(ws.protection.sheet),
            "cells": [(c.row, c.column, c.value) for row in ws.iter_rows() for c in row if c.value is not None],
            "merged": [str(r) for r in ws.merged_cells.ranges],
            "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width},
            "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
            "validations": [({k: getattr(dv, k) for k in _VALIDATION}, str(dv.sqref))
                            for dv in ws.data_validations.dataValidation],
            "tables": [(t.displayName, t.ref, t.tableStyleInfo.name if t.tableStyleInfo else None)
                       for t in ws.tables.values()],
            "print_area": ws.print_area, "print_titles": ws.print_title_rows, "orientation": ws.page_setup.orientation})
    names = [(name, d.attr_text) for name, d in src.defined_names.items()]
    side = Side(style="thin")
    font, align = Font(name="SimSun", size=11), Alignment(wrap_text=True, vertical="center")
    border, unlocked = Border(left=side, right=side, top=side, bottom=side), Protection(locked=False)

    def write() -> None:
        wb = Workbook()
        wb.remove(wb.active)
        for sheet in sheets:
            ws = wb.create_sheet(sheet["title"])
            for r, c, v in sheet["cells"]:
                cell = ws.cell(r, c, v)
                cell.font, cell.alignment, cell.border, cell.protection = font, align, border, unlocked
            for rng in sheet["merged"]:
                ws.merge_cells(rng)
            for letter, width in sheet["widths"].items():
                ws.column_dimensions[letter].width = width
            for r, height in sheet["heights"].items():
                ws.row_dimensions[r].height = height
            for params, ref in sheet["validations"]:
                dv = DataValidation(**params)
                dv.add(ref)
                ws.add_data_validation(dv)
            for name, ref, style in sheet["tables"]:
                table = Table(displayName=name, ref=ref)
                if style:
                    table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=False)
                ws.add_table(table)
            ws.sheet_state = sheet["state"]
            ws.protection.sheet = sheet["protected"]
            if sheet["print_area"]:
                ws.print_area = sheet["print_area"]
            if sheet["print_titles"]:
                ws.print_title_rows = sheet["print_titles"]
            ws.page_setup.orientation = sheet["orientation"]
        for name, ref in names:
            wb.defined_names[name] = DefinedName(name, attr_text=ref)
        wb.save(out)
    return write


def docx_floor(spec, data: dict, out: Path) -> Callable[[], None]:
    """docxtpl rendering formgen's own template with the context already built, then saving: the render
    itself, without formgen's work around it."""
    from docxtpl import DocxTemplate
    from formgen.compile.docx import context, template_bytes
    template, ctx = template_bytes(spec), context(spec, data)

    def render() -> None:
        tpl = DocxTemplate(io.BytesIO(template))
        tpl.render(ctx, autoescape=True)
        tpl.save(out)
    return render


def bench_write(reps: int, rows: list[int], tmp: Path) -> None:
    reg = registry()
    print(f"Generate pre-filled per file, {reps} rounds, interleaved with the floor", flush=True)
    for label, form, data in cases(rows):
        spec = reg.get(form)
        n = reps if "1000" not in label else max(3, reps // 4)
        out, floor_out = tmp / "w.xlsx", tmp / "floor.xlsx"
        compilers()["xlsx"].compile(spec, data, out)
        floor = openpyxl_floor(out, floor_out)
        line(f"xlsx {label}", *paired(lambda: compilers()["xlsx"].compile(spec, data, out), floor, n),
             goal=GOALS["write-xlsx"])
    for label, form, data in cases(rows):
        spec = reg.get(form)
        n = reps if "1000" not in label else max(3, reps // 4)
        out = tmp / "w.docx"
        floor = docx_floor(spec, data, tmp / "floor.docx")
        line(f"docx {label}", *paired(lambda: compilers()["docx"].compile(spec, data, out), floor, n),
             goal=GOALS["write-docx"])


FIRST_PDF = """
import json, sys, time
from pathlib import Path
start = time.perf_counter()
from formgen.compile import COMPILERS
from formgen.spec import Registry
spec = Registry(Path(sys.argv[1])).get("incident-report")
data = json.loads((Path(sys.argv[1]) / "examples" / "incident-report.json").read_text("utf-8"))
imported = time.perf_counter()
COMPILERS["pdf"].compile(spec, data, sys.argv[2])
done = time.perf_counter()
print(json.dumps({"import": (imported - start) * 1000, "first": (done - imported) * 1000}))
"""


def bench_pdf(reps: int, tmp: Path) -> None:
    reg = registry()
    pdf = compilers()["pdf"]
    print(f"PDF pre-filled, warm process: median of {reps} files after a first (goals: incident report <= 30 ms, "
          "checklist <= 100 ms, <= 300 KiB)", flush=True)
    for form in ("incident-report", "policy-checklist", "hazard-ledger", "parent-notice"):
        spec, data, out = reg.get(form), example(form), tmp / f"{form}.pdf"
        pdf.compile(spec, data, out)
        times = [timed(lambda: pdf.compile(spec, data, out)) for _ in range(reps)]
        line(f"pdf {form}", statistics.median(times), extra=f"{out.stat().st_size / 1024:6.0f} KiB")
    firsts, imports, walls = [], [], []
    for _ in range(max(3, reps // 2)):
        start = now()
        proc = subprocess.run([PY, "-c", FIRST_PDF, str(ROOT / "forms"), str(tmp / "first.pdf")],
                              capture_output=True, text=True, check=True)
        walls.append((now() - start) * 1000)
        got = json.loads(proc.stdout)
        firsts.append(got["first"])
        imports.append(got["import"])
    line("pdf incident-report, first file in a fresh process", statistics.median(firsts),
         extra=f"(goal <= 500 ms; imports {statistics.median(imports):.0f} ms, "
               f"whole process {statistics.median(walls):.0f} ms)")


# -- many files --------------------------------------------------------------------------------------------

def bench_roster(units: int, pdf_units: int, tmp: Path) -> None:
    print("Distribution: formgen generate incident-report --roster R --format F -o DIR (one process)", flush=True)
    for fmt in ("xlsx", "docx", "pdf"):
        n = pdf_units if fmt == "pdf" else units
        roster = tmp / f"roster-{n}.csv"
        lines = ["单位代码,单位名称,联系人,联系电话,应报表单"]
        lines += [f"{3121000000 + i},测试市第{i + 1}中学,联系人{i},138{i:08d},incident-report" for i in range(n)]
        roster.write_text("\r\n".join(lines) + "\r\n", "utf-8")
        out = tmp / f"roster-{fmt}"
        cpu = children_cpu()
        ms = run([FORMGEN, "generate", "incident-report", "--roster", str(roster), "--format", fmt, "-o", str(out)])
        cpu = children_cpu() - cpu
        count = len(list(out.iterdir()))
        line(f"{fmt}: {count} units", ms, extra=f"{count / ms * 1000:7.1f} files/s  ({count / cpu:7.1f} files per CPU s)")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_demo(tmp: Path) -> None:
    print("make demo (what the Makefile's demo target runs, into a scratch folder; goal <= 15 s)", flush=True)
    cpu, start = children_cpu(), now()
    subprocess.run([PY, "scripts/demo.py", str(tmp / "demo")], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    line("make demo wall time", (now() - start) * 1000, extra=f"CPU {children_cpu() - cpu:.1f} s")


def machine() -> str:
    load = os.getloadavg()
    cpus = os.cpu_count()
    model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                  if ln.startswith("model name")), "?")
    return f"{cpus} CPU ({model}), load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, Python {sys.version.split()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--rows", default="10,100,1000")
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--pdf-units", type=int, default=300)
    parser.add_argument("--only", default="start,read,write,pdf,roster,demo")
    args = parser.parse_args()
    rows = [int(n) for n in args.rows.split(",") if n]
    only = set(args.only.split(","))
    print("machine:", machine(), flush=True)
    started = now()
    with tempfile.TemporaryDirectory(prefix="formgen-bench-") as name:
        tmp = Path(name)
        if "start" in only:
            bench_start(args.reps, tmp)
        if "read" in only:
            bench_read(args.reps, rows, tmp)
        if "write" in only:
            bench_write(args.reps, rows, tmp)
        if "pdf" in only:
            bench_pdf(args.reps, tmp)
        if "roster" in only:
            bench_roster(args.units, args.pdf_units, tmp)
        if "demo" in only:
            bench_demo(tmp)
    print(f"machine at the end: {machine()}; bench took {now() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
