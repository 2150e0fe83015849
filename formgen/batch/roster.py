"""The roster of a batch: who must return which forms, matching a return to its unit, and who returned what.

A roster is a CSV (UTF-8 with or without BOM, or GB18030 as Excel saves it on Chinese Windows) or an .xlsx
with a header row: 单位代码 (unit_code), 单位名称 (unit_name), and optionally 联系人 (contact), 联系电话
(phone) and 应报表单 (forms: form ids or titles separated by 、，,;).  A unit whose 应报表单 is empty, or every
unit when the roster has no such column, must return every form of the batch.

A return is matched to a unit by the unit code stamped into a distributed file, else by the code typed in
the form's unit code field, else by the typed unit name (``x-formgen.unit`` names the fields).  Names are
compared in tiers, each looser than the one before: (1) the same after evening out full/half width, spaces
and brackets; (2) one name lacking leading divisions (辽宁省, 沈阳市, 和平区, with or without 省/市/区) that
the other has; (3) as (2) with 第一中学 read as 一中.  One unit equal by (1) matches; else one unit close by
(2) or (3) together matches.  Two or more candidates leave the return unmatched (FG501), never guessed.
"""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from formgen.i18n import N_, gettext, normalise
from formgen.issues import Code, FormgenError, Issue, Text
from formgen.paths import get_path
from formgen.spec import Registry
from formgen.spec.model import FormSpec

MATCHED_BY = ("stamp", "code", "name")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    contact: str = ""
    phone: str = ""
    forms: tuple[str, ...] = ()  # form ids; empty: every form of the batch


# -- names and codes as people type them ------------------------------------------------------------------

_BRACKETS = str.maketrans({"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")", "［": "(", "］": ")"})
_DROPPED = re.compile(r"[\s·•.．、,，;；:：\"'“”‘’《》〈〉<>_\-—–]+")
_DIVISION = re.compile(r"[\u4e00-\u9fff]{2,8}?(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|州|盟|县|区|旗)")
_DIVISION_SUFFIX = re.compile(r"(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|州|盟|县|区|旗)$")
_NUMERAL = "[一二三四五六七八九十百零〇0-9]+"
_ABBREVIATIONS = [(re.compile(rf"^第({_NUMERAL})(?:高级)?中学"), r"\1中"),
                  (re.compile(rf"^第({_NUMERAL})初级中学"), r"\1初中"),
                  (re.compile(rf"^第({_NUMERAL})小学"), r"\1小")]


def canonical_name(name: str) -> str:
    """A unit name with full-width characters, spaces, brackets and punctuation evened out."""
    text = unicodedata.normalize("NFKC", name).translate(_BRACKETS)
    return _DROPPED.sub("", text).lower()


def canonical_code(code: Any) -> str:
    """A unit code as text: full-width digits made half-width, spaces dropped, letters upper case."""
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(code))).upper()


def _split(name: str) -> tuple[list[str], str]:
    """(leading divisions without their 省/市/区…, the rest) of a canonical name."""
    divisions: list[str] = []
    rest = name
    while True:
        found = _DIVISION.match(rest)
        if not found or len(rest) - found.end() < 2:
            return divisions, rest
        divisions.append(_DIVISION_SUFFIX.sub("", found.group()))
        rest = rest[found.end():]


def _abbreviated(core: str) -> str:
    for pattern, short in _ABBREVIATIONS:
        core = pattern.sub(short, core)
    return core


def _variants(divisions: list[str], core: str) -> set[str]:
    """The name with any of its leading divisions left out (the whole name among them)."""
    return {"".join(kept) + core for n in range(len(divisions) + 1) for kept in itertools.combinations(divisions, n)}


@dataclass(frozen=True)
class _Name:
    canonical: str
    full: tuple[str, str]  # divisions (without 省/市/区…) and the rest, joined; then with the rest abbreviated
    variants: tuple[frozenset[str], frozenset[str]]  # the same, leaving out any of the divisions

    @classmethod
    def of(cls, name: str) -> "_Name":
        canonical = canonical_name(name)
        divisions, core = _split(canonical)
        short = _abbreviated(core)
        return cls(canonical, ("".join(divisions) + core, "".join(divisions) + short),
                   (frozenset(_variants(divisions, core)), frozenset(_variants(divisions, short))))


@dataclass
class Match:
    unit: Unit | None
    matched_by: str = ""
    reason: Text | None = None  # why there is no unit


_Index = dict[str, list[int]]  # a name as compared -> the positions of the units that have it


@dataclass
class Roster:
    units: list[Unit]
    source: str = ""
    _codes: dict[str, Unit] = field(default_factory=dict, init=False, repr=False)
    _exact: dict[str, list[int]] = field(default_factory=dict, init=False, repr=False)
    # per tier (2, 3): a name with all its divisions -> units; each variant leaving some out -> units
    _full: tuple[_Index, _Index] = field(default_factory=lambda: ({}, {}), init=False, repr=False)
    _variants: tuple[_Index, _Index] = field(default_factory=lambda: ({}, {}), init=False, repr=False)

    def __post_init__(self) -> None:
        """Index the names, so matching a name costs the same for 10 units as for 10,000."""
        self._codes = {canonical_code(u.code): u for u in self.units}
        for i, unit in enumerate(self.units):
            name = _Name.of(unit.name)
            self._exact.setdefault(name.canonical, []).append(i)
            for tier in (0, 1):
                self._full[tier].setdefault(name.full[tier], []).append(i)
                for variant in name.variants[tier]:
                    self._variants[tier].setdefault(variant, []).append(i)

    def by_code(self, code: str) -> Unit | None:
        return self._codes.get(canonical_code(code)) if code else None

    def must_return(self, unit: Unit, form_id: str) -> bool:
        return not unit.forms or form_id in unit.forms

    def by_name(self, name: str) -> tuple[list[Unit], int]:
        """The units a typed name may mean, and the tier (1–3) that found them; ([], 0) when none."""
        typed = _Name.of(name)
        if not typed.canonical:
            return [], 0
        exact = self._exact.get(typed.canonical)
        if exact:
            return [self.units[i] for i in exact], 1
        found: set[int] = set()
        tier = 0
        for loose in (0, 1):  # a loose tier never wins over a looser one: 一中 may be any 第一中学
            # one name is the other with some of its leading divisions left out
            more = set(self._variants[loose].get(typed.full[loose], ()))
            for variant in typed.variants[loose]:
                more.update(self._full[loose].get(variant, ()))
            if more and not found:
                tier = loose + 2
            found |= more
        return [self.units[i] for i in sorted(found)], tier

    def resolve(self, stamped_code: str | None, spec: FormSpec, record: dict | None) -> Match:
        """The unit of a return, how it was found, or why none was."""
        if stamped_code and (unit := self.by_code(stamped_code)):
            return Match(unit, "stamp")
        code, name = typed_unit(spec, record)
        if code and (unit := self.by_code(code)):
            return Match(unit, "code")
        if name:
            found, _tier = self.by_name(name)
            if len(found) == 1:
                return Match(found[0], "name")
            if found:
                candidates = "、".join(f"{u.name}（{u.code}）" for u in found[:5]) + ("…" if len(found) > 5 else "")
                return Match(None, reason=Text(
                    N_("the unit name {name} fits several units of the roster ({candidates})"),
                    {"name": name, "candidates": candidates}))
        if stamped_code:
            return Match(None, reason=Text(N_("the unit code {code} stamped in the file is not on the roster"),
                                           {"code": stamped_code}))
        if code:
            return Match(None, reason=Text(N_("no unit of the roster has the code {code}"), {"code": code}))
        if name:
            return Match(None, reason=Text(N_("no unit of the roster is named {name}"), {"name": name}))
        return Match(None, reason=Text(N_("the form names no unit")))

    def match(self, stamped_code: str | None, spec: FormSpec, record: dict | None) -> tuple[Unit | None, str]:
        """(unit, matched_by in "stamp", "code", "name"; or None, "").  Never guesses between two candidates."""
        found = self.resolve(stamped_code, spec, record)
        return found.unit, found.matched_by


def unit_fields(spec: FormSpec) -> tuple[str | None, str | None]:
    """The addresses of the form's unit code and unit name fields (``x-formgen.unit``)."""
    unit = spec.ann.get("unit") or {}
    return unit.get("code"), unit.get("name")


def typed_unit(spec: FormSpec, record: dict | None) -> tuple[str, str]:
    """(unit code, unit name) as the record holds them, "" for a field left empty."""
    code_at, name_at = unit_fields(spec)
    record = record or {}
    code = get_path(record, code_at) if code_at else None
    name = get_path(record, name_at) if name_at else None
    return (canonical_code(code) if code not in (None, "") else "",
            " ".join(str(name).split()) if name not in (None, "") else "")


def identify_unit(spec: FormSpec, record: dict | None, stamped: str | None,
                  roster: Roster | None) -> tuple[dict | None, list[Issue]]:
    """The ``unit`` of a result ({"code", "name", "matched_by"} or None) and FG501 when a roster has no unit
    for the return.  Without a roster the unit is what the file says: the stamped code, else the typed code,
    and the typed name."""
    code, name = typed_unit(spec, record)
    if roster is None:
        if stamped:
            return {"code": canonical_code(stamped), "name": name, "matched_by": "stamp"}, []
        if code or name:
            return {"code": code, "name": name, "matched_by": "code" if code else "name"}, []
        return None, []
    found = roster.resolve(stamped, spec, record)
    if found.unit is not None:
        return {"code": found.unit.code, "name": found.unit.name, "matched_by": found.matched_by}, []
    code_at, name_at = unit_fields(spec)
    at = (name_at if name else code_at if code else name_at or code_at) or ""
    params: dict[str, Any] = {"reason": found.reason}
    if at:
        params["label"] = spec.labels_of(at)
    return None, [Issue(Code.UNIT_UNMATCHED, at, params=params)]


# -- reading a roster --------------------------------------------------------------------------------------

COLUMNS = {  # key: (header printed in messages, accepted headers after canonical_header)
    "code": ("单位代码", {"单位代码", "单位编码", "unit_code", "unitcode", "code", "学校标识码", "学校代码"}),
    "name": ("单位名称", {"单位名称", "unit_name", "unitname", "name", "学校名称", "单位"}),
    "contact": ("联系人", {"联系人", "contact"}),
    "phone": ("联系电话", {"联系电话", "电话", "phone", "telephone"}),
    "forms": ("应报表单", {"应报表单", "报送表单", "表单", "forms", "form"}),
}
REQUIRED = ("code", "name")
FORM_SEPARATORS = re.compile(r"[、，,;；\n]+")
HEADER_ROWS = 10  # a title may stand above the header row
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?E\+?\d+")  # 3.12101E+17: a long code Excel turned into a number


class RosterError(FormgenError):
    """A roster that cannot be used: every problem found, each with its file, row and column."""

    def __init__(self, file: str, problems: list[tuple[str, dict[str, Any]]]):
        self.problems = problems
        super().__init__(N_("The roster {file} cannot be used ({count} problem(s)):"), file=file, count=len(problems))

    def __str__(self) -> str:
        return self.message()

    def message(self, lang: str | None = None) -> str:
        lines = [super().message(lang)]
        for template, params in self.problems:
            shown = {k: v.render(normalise(lang)) if isinstance(v, Text) else v for k, v in params.items()}
            lines.append("  " + gettext(template, lang).format(**shown))
        return "\n".join(lines)


def canonical_header(text: Any) -> str:
    text = unicodedata.normalize("NFKC", "" if text is None else str(text)).strip().lower()
    text = re.sub(r"[\s*＊]|[(（][^)）]*[)）]$", "", text)
    return text.replace(" ", "_")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _rows_of_csv(data: bytes, file: str) -> list[list[str]]:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16, tab-separated
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterError(file, [(N_("{file}: the text is neither UTF-8 nor GB18030. Save the roster again "
                                     "as CSV UTF-8, or as .xlsx."), {"file": file})])
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in ("\t", ";") if d in first and "," not in first), ",")
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _rows_of_xlsx(data: bytes, file: str) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged workbook: say so, never a traceback
        raise RosterError(file, [(N_("{file}: the workbook cannot be read ({reason}). Open it in Excel or WPS "
                                     "and save it again as .xlsx."),
                                  {"file": file, "reason": type(exc).__name__})]) from None
    try:
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            if _header_row(rows) is not None:
                return rows
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)] if wb.worksheets else []
    finally:
        wb.close()


def _header_row(rows: list[list[Any]]) -> int | None:
    for index, row in enumerate(rows[:HEADER_ROWS]):
        headers = {canonical_header(v) for v in row}
        if all(headers & COLUMNS[key][1] for key in REQUIRED):
            return index
    return None


def _forms_index(registry: Registry) -> dict[str, tuple[str, str]]:
    """Form ids and titles (canonical) -> (form id, the id or title as written)."""
    index: dict[str, tuple[str, str]] = {}
    for spec in registry.all():
        for text in (spec.id, spec.title, spec.ann.get("title_en", "")):
            if text:
                index[canonical_name(text)] = (spec.id, text)
    return index


def load_roster(path: Path, registry: Registry) -> Roster:
    """Read a roster file (CSV or .xlsx); a roster with problems raises RosterError listing all of them."""
    path = Path(path)
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterError(file, [(N_("{file}: the file cannot be opened ({reason})."),
                                  {"file": file, "reason": exc.strerror or type(exc).__name__})]) from None
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterError(file, [(N_("{file} is an Excel 97-2003 (.xls) or WPS workbook. Save it as .xlsx or as "
                                     "CSV, then run again."), {"file": file})])
    is_xlsx = data.startswith(b"PK\x03\x04") and _is_workbook(data)
    rows = _rows_of_xlsx(data, file) if is_xlsx else _rows_of_csv(data, file)
    header_at = _header_row(rows)
    if header_at is None:
        first = next((r for r in rows[:HEADER_ROWS] if any(_cell(v) for v in r)), [])
        headers = {canonical_header(v) for v in first}
        missing = [key for key in REQUIRED if not headers & COLUMNS[key][1]] or list(REQUIRED)
        raise RosterError(file, [(N_("{file}: no column headed {column} was found in the first {rows} rows. Add a "
                                     "header row with 单位代码 and 单位名称 (or unit_code and unit_name) above the units."),
                                  {"file": file, "column": COLUMNS[key][0], "rows": HEADER_ROWS}) for key in missing])
    columns: dict[str, int] = {}
    for index, value in enumerate(rows[header_at]):
        header = canonical_header(value)
        for key, (_shown, accepted) in COLUMNS.items():
            if header in accepted and key not in columns:
                columns[key] = index
    forms_index = _forms_index(registry) if "forms" in columns else {}
    problems: list[tuple[str, dict[str, Any]]] = []
    units: list[Unit] = []
    seen: dict[str, int] = {}

    def where(row: int, key: str) -> dict[str, Any]:
        header = _cell(rows[header_at][columns[key]])
        return {"file": file, "row": row, "column": f"{_column_letter(columns[key])} ({header})"}

    for number, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        cells = {key: _cell(row[i]) if i < len(row) else "" for key, i in columns.items()}
        if not any(cells.values()):
            continue
        code, name = canonical_code(cells["code"]), cells["name"]
        if not code:
            problems.append((N_("{file} row {row}, column {column}: the unit code is empty. Fill it in, or delete "
                                "the row."), where(number, "code")))
        elif _SCIENTIFIC.fullmatch(code):
            problems.append((N_("{file} row {row}, column {column}: the unit code {code} is a number Excel shortened. "
                                "Format the column as text, type the codes again and save."),
                             {**where(number, "code"), "code": code}))
        elif code in seen:
            problems.append((N_("{file} row {row}, column {column}: the unit code {code} is also on row {other}. "
                                "List each unit once."), {**where(number, "code"), "code": code, "other": seen[code]}))
        else:
            seen[code] = number
        if not name:
            problems.append((N_("{file} row {row}, column {column}: the unit name is empty. Fill it in."),
                             where(number, "name")))
        forms: list[str] = []
        for item in FORM_SEPARATORS.split(cells.get("forms", "")):
            item = item.strip().strip("《》")
            if not item:
                continue
            form_id = forms_index.get(canonical_name(item), ("", ""))[0]
            if not form_id:
                close = difflib.get_close_matches(canonical_name(item), list(forms_index), n=1, cutoff=0.6)
                hint = (Text(N_(" Did you mean '{suggestion}'?"), {"suggestion": forms_index[close[0]][1]})
                        if close else "")
                problems.append((N_("{file} row {row}, column {column}: '{form}' is not an installed form.{hint} Write "
                                    "form ids or titles as `formgen forms` lists them, separated by 、"),
                                 {**where(number, "forms"), "form": item, "hint": hint}))
            if form_id and form_id not in forms:
                forms.append(form_id)
        units.append(Unit(code, name, cells.get("contact", ""), cells.get("phone", ""), tuple(forms)))
    if not units and not problems:
        problems.append((N_("{file}: the roster lists no unit. Add one row per unit below the header row."),
                         {"file": file}))
    if problems:
        raise RosterError(file, problems)
    return Roster(units, file)


def _is_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False


# -- who returned what -------------------------------------------------------------------------------------

SUBMISSION_STATUSES = ("valid", "invalid", "missing", "late", "duplicate")
_COUNTED = ("valid", "invalid", "unreadable")


def submission_table(roster: Roster, results: Iterable[dict], registry: Registry,
                     forms: Iterable[str] | None = None) -> list[dict]:
    """One row per unit and form it must return, in roster order:
    {"unit_code", "unit_name", "contact", "phone", "form", "form_title", "status", "files"}.

    ``forms`` are the forms of the batch (default: every form a result names); a unit with no forms listed
    must return each of them.  The status comes from the unit's counted return (superseded and skipped files
    do not count): ``missing`` when there is none, ``invalid`` when it has an error, ``late`` when it came
    after the deadline, ``duplicate`` when the same return was sent more than once, else ``valid``.
    """
    results = list(results)
    batch_forms = sorted(set(forms) if forms is not None else {r["form"] for r in results if r.get("form")})
    returns: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        unit = r.get("unit") or {}
        if unit.get("code") and r.get("form") and r.get("status") not in ("superseded", "skipped"):
            returns.setdefault((canonical_code(unit["code"]), r["form"]), []).append(r)
    titles: dict[str, str] = {}
    rows = []
    for unit in roster.units:
        for form_id in (unit.forms or batch_forms):
            if form_id not in titles:
                spec = _spec_or_none(registry, form_id)
                titles[form_id] = spec.title if spec else form_id
            got = sorted(returns.get((canonical_code(unit.code), form_id), []), key=lambda r: r["path"])
            rows.append({"unit_code": unit.code, "unit_name": unit.name, "contact": unit.contact, "phone": unit.phone,
                         "form": form_id, "form_title": titles[form_id], "status": _status(got),
                         "files": [r["path"] for r in got]})
    return rows


def _status(got: list[dict]) -> str:
    if not got:
        return "missing"
    counted = [r for r in got if r.get("status") in _COUNTED] or got
    last = max(counted, key=lambda r: (r.get("received_at") or "", r["path"]))
    if last.get("status") != "valid":
        return "invalid"
    if last.get("late"):
        return "late"
    return "duplicate" if len(got) > 1 else "valid"


def _spec_or_none(registry: Registry, form_id: str) -> FormSpec | None:
    try:
        return registry.get(form_id)
    except FormgenError:
        return None
