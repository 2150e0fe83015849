"""From a returned file to a Result: sniff, read, coerce, validate.

A file that cannot be read becomes a Result with issues, never an exception:
every input file gets exactly one Result.  Even a fault in formgen itself (an
exception from a reader, coercion, a rule or validation) becomes the issue
INTERNAL on that file's Result, without a traceback or any of the file's
values in it, so one file never stops a run over many.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formgen.coerce import is_empty
from formgen.i18n import N_
from formgen.issues import Code, DefinitionError, Issue, Severity, Unreadable, shown
from formgen.layout.pdf import continued, multi_box
from formgen.limits import LIMITS
from formgen.read.guard import too_large
from formgen.read import EXTENSIONS, FORMAT_NAMES, READERS, refusal, sniff, unreadable_reason
from formgen.record import Extraction, Identity, build_record, column_of
from formgen.spec import Registry
from formgen.spec.migrate import bring_up
from formgen.spec.model import FormSpec
from formgen.validate import validate



@dataclass
class Result:
    file: str
    format: str | None = None
    form: str | None = None
    version: str | None = None
    data: dict | None = None
    issues: list[Issue] = field(default_factory=list)
    identity: Identity | None = None
    skipped: bool = False  # litter (a lock file, a system file): listed, not read
    migrated_from: str | None = None  # the version the file was made from, when the record was brought up

    @property
    def readable(self) -> bool:
        return self.data is not None

    @property
    def valid(self) -> bool:
        return self.readable and not any(i.severity == Severity.ERROR for i in self.issues)

    @property
    def status(self) -> str:
        """'valid', 'invalid', 'unreadable' or 'skipped' (the statuses of one file on its own)."""
        if self.skipped:
            return "skipped"
        if not self.readable:
            return "unreadable"
        return "valid" if self.valid else "invalid"

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        out = {"file": self.file, "format": self.format, "form": self.form, "version": self.version,
               "valid": self.valid, "status": self.status, "issues": [i.to_dict(lang) for i in self.issues]}
        if self.migrated_from:
            out["migrated_from"] = self.migrated_from
        return out


def extract(path: str | Path, registry: Registry, data: bytes | None = None) -> tuple[Extraction, FormSpec | None]:
    """Read a file's identity and raw values.  Problems become issues of the Extraction.

    ``data`` is the file's bytes when the caller already has them (a batch worker); else the file at
    ``path`` is read.  Readers see only the bytes, never the name.
    """
    path = Path(path)
    if data is None:
        try:
            if path.is_file() and path.stat().st_size > LIMITS.file_bytes:
                return Extraction(str(path), "", issues=[too_large(FORMAT_NAMES.get(
                    EXTENSIONS.get(path.suffix.lower(), ""), N_("a Word, Excel or PDF form")), LIMITS).issue]), None
            data = path.read_bytes()
        except OSError as exc:
            return Extraction(str(path), "", issues=[missing(path, exc)]), None
    fmt = sniff(data)
    reader = READERS.get(fmt) if fmt else None
    if reader is None:
        return Extraction(str(path), fmt or "", issues=[refusal(data, path.name)]), None
    extraction = Extraction(str(path), fmt)
    fmt_name = FORMAT_NAMES[fmt]
    try:
        doc = reader.open(io.BytesIO(data))
        identity = reader.identity(doc)
    except Unreadable as exc:
        extraction.issues.append(exc.issue)
        return extraction, None
    except Exception:  # a damaged or hostile file: any parser error means "unreadable", never a crash
        extraction.issues.append(Issue(Code.FILE_UNREADABLE, params={"format": fmt_name,
                                                                      "reason": unreadable_reason(fmt, data)}))
        return extraction, None
    if identity is None:
        known = _recognised(reader, doc, registry)
        extraction.issues.append(
            Issue(Code.FORM_WITHOUT_IDENTITY, params={"form": known.id, "version": known.version}) if known
            else Issue(Code.FILE_NOT_FORMGEN, params={"reason": N_("no form id and version found")}))
        return extraction, None
    extraction.identity = identity
    spec = registry.find(identity.form, identity.version)
    if spec is None:  # the id and version come from the file: shown cleaned and cut, never as they are
        extraction.identity = Identity(shown(identity.form), shown(identity.version, 20))
        extraction.issues.append(Issue(Code.FORM_UNKNOWN, params={"form": extraction.identity.form,
                                                                   "version": extraction.identity.version}))
        return extraction, None
    if identity.hash and identity.hash != spec.hash:
        extraction.issues.append(Issue(Code.DEFINITION_CHANGED, params={"form": identity.form, "version": identity.version}))
    extraction.context = reader.context(doc)
    values, issues = reader.values(doc, spec)
    for raw in values:  # readers also say where the empty fields and the groups are
        extraction.locations.setdefault(raw.address, raw.location)
    extraction.values = [raw for raw in values if not is_empty(raw.value)]
    extraction.locations.update((raw.address, raw.location) for raw in extraction.values)
    extraction.issues.extend(issues)
    return extraction, spec


def _recognised(reader: Any, doc: Any, registry: Registry) -> FormSpec | None:
    """The one installed form whose fields are exactly the file's (for a file whose identity was removed)."""
    names = reader.field_names(doc) if hasattr(reader, "field_names") else set()
    if not names:
        return None
    matches = [spec for spec in registry.versions() if _same_fields(spec, names)]
    return matches[0] if len(matches) == 1 else None


def _same_fields(spec: FormSpec, names: set[str]) -> bool:
    """Every single field of ``spec`` is named, and every other name is a group, a cell of a group's row or a
    continuation of a field on a later page of a letter."""
    scalars = {f.address for f in spec.fields()}
    boxes = {multi_box(f.address, i) for f in spec.fields() if f.kind == "multi" for i in range(len(f.choices))}
    named = names | {f.address for f in spec.fields() if multi_box(f.address, 0) in names}  # a PDF's boxes
    groups = {g.address for g in spec.groups()}
    continuations = {name for name in names if (part := continued(name)) is not None and part[0] in scalars}
    return scalars <= named and all(n in groups or column_of(spec, n) for n in names - scalars - boxes - continuations)


def missing(path: Path, exc: OSError) -> Issue:
    """FILE_UNREADABLE for a path that cannot be opened; the reason never repeats the path or the system's text."""
    if isinstance(exc, FileNotFoundError):
        reason = N_("there is no file at this path")
    elif isinstance(exc, IsADirectoryError):
        reason = N_("it is a folder, not a file")
    elif isinstance(exc, PermissionError):
        reason = N_("formgen is not allowed to open it")
    else:
        reason = N_("the file cannot be opened")
    fmt = FORMAT_NAMES.get(EXTENSIONS.get(path.suffix.lower(), ""),
                           N_("a Word, Excel or PDF form"))
    return Issue(Code.FILE_UNREADABLE, params={"format": fmt, "reason": reason})


def skipped(path: str | Path, reason: str, unreadable: bool = False) -> Result:
    """The Result of a path listed but not read (a lock or system file), ``reason`` a message id from
    ``formgen.batch.walk``; ``unreadable`` for a folder that cannot be opened, whose files went unchecked."""
    return Result(str(path), skipped=not unreadable, issues=[Issue(Code.SKIPPED, params={"reason": reason})])


def process(path: str | Path, registry: Registry, data: bytes | None = None, migrate: bool = False) -> Result:
    """Extract, coerce and validate one file (its ``data`` when given, else the file at ``path``), always by
    the definition of the version it was made from.  With ``migrate`` the record of an earlier version is then
    brought to the newest version of its form (:func:`formgen.spec.migrate.bring_up`) and, when it was valid,
    validated again in that version.

    Never raises for anything in the file: a fault in formgen becomes the issue INTERNAL.
    """
    result = Result(str(path))
    try:
        spec = _process(result, path, registry, data)
        if migrate and spec is not None:
            _migrate(result, spec, registry)
    except Exception:  # a fault in formgen, whatever the file: this file's result says so, the run goes on
        result.data = None
        result.issues.append(Issue(Code.INTERNAL))
    return result


def _process(result: Result, path: str | Path, registry: Registry, data: bytes | None) -> FormSpec | None:
    extraction, spec = extract(path, registry, data)
    result.format = extraction.format or None
    result.issues = list(extraction.issues)
    if extraction.identity:
        result.identity = extraction.identity
        result.form, result.version = extraction.identity.form, extraction.identity.version
    if spec is None:
        return None
    built = build_record(spec, extraction)
    result.data = built.record
    result.issues.extend(built.issues)
    result.issues.extend(validate(spec, built.record, skip=built.failed))
    for issue in result.issues:
        issue.location = issue.location or location_of(issue.path, extraction.locations)
        if issue.path in built.originals and not spec.is_pii(issue.path):
            issue.typed = shorten(built.originals[issue.path])
    return spec


def _migrate(result: Result, spec: FormSpec, registry: Registry) -> None:
    """The record brought to the newest version of its form, with what was said on the way."""
    try:
        target = registry.get(spec.id)
    except DefinitionError:  # the newest version is broken: the record stays in its own version
        return
    if result.data is None or target.version == spec.version:
        return
    was_valid = result.valid
    migration = bring_up(registry.versions(spec.id), spec, result.data, target)
    result.issues.extend(migration.issues)
    if migration.spec is target:
        result.migrated_from, result.version, result.data = spec.version, target.version, migration.record
        if was_valid:
            result.issues.extend(validate(target, migration.record))


def location_of(path: str, locations: dict[str, str]) -> str:
    """Where the field at ``path`` sits: its own place, else its column (``persons.role`` for
    ``persons.2.role``), else the nearest enclosing group's."""
    parts = path.split(".")
    column = ".".join(p for p in parts if not p.isdigit())
    for candidate in [path, column] + [".".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]:
        if locations.get(candidate):
            return locations[candidate]
    return ""


def shorten(text: str, limit: int = 40) -> str:
    """What was typed, on one line, cleaned and cut to ``limit`` characters, for showing beside a message."""
    return shown(text, limit)
