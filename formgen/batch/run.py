"""The batch itself (`formgen batch`, DESIGN.md section 6): run_batch and its settings and summary.

:func:`run_batch` walks the folder, checks every file that the ledger has not checked against the installed
definitions (in worker processes or on a Dask cluster), commits each result to the ledger as it arrives, then
derives every file's status (duplicate, superseded, late, unit), and writes the outputs from the ledger, one
row at a time: results.jsonl, report.xlsx, 退回/, 催报名单.csv and 汇总/.  The original files are only read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from formgen import __version__
from formgen.batch import work
from formgen.batch.consolidate import Entry, consolidate_versions
from formgen.batch.deadlines import date_deadline, late_issue
from formgen.batch.ledger import Ledger
from formgen.batch.pool import Check, Job, connect, run_dask, run_local
from formgen.batch.roster import Roster, identify_unit, load_roster, submission_table
from formgen.batch.walk import walk
from formgen.coerce import CST
from formgen.fsutil import atomic_path
from formgen.i18n import N_, gettext
from formgen.issues import Code, EnvironmentProblem, Issue
from formgen.limits import WorkerLimits
from formgen.report.batch import write_reminders, write_report, write_return_notices
from formgen.spec import Registry

STATUSES = ("valid", "invalid", "unreadable", "duplicate", "superseded", "skipped")
RESULTS = "results.jsonl"
REPORT = "report.xlsx"
NOTICES = "退回"
REMINDERS = "催报名单.csv"
LEDGER = "ledger.sqlite"


@dataclass(frozen=True)
class Settings:
    """How a batch runs: workers, limits, where checks run, and what counts as the received time."""

    jobs: int | None = None
    limits: WorkerLimits = WorkerLimits()
    scheduler: str | None = None
    received_from: str = "ledger"  # or "mtime": the file's modification time
    deadlines: dict[str, dt.datetime] = field(default_factory=dict)  # form id (or deadlines.ALL_FORMS) -> moment


@dataclass
class Summary:
    """What a batch found, for the summary paragraph and the exit code."""

    outdir: Path
    counts: dict[str, int]
    parsed: int
    reused: int
    missing: list[dict]
    late: list[dict]
    notes: list[Issue]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def exit_code(self) -> int:
        return 1 if self.counts.get("invalid") or self.counts.get("unreadable") or self.missing else 0

    def text(self, lang: str) -> str:
        """One paragraph in ``lang``: counts per status, missing and late units, where the outputs are."""
        parts = [gettext(N_("{total} file(s): {valid} valid, {invalid} invalid, {unreadable} unreadable, "
                            "{duplicate} duplicate, {superseded} superseded, {skipped} skipped."), lang).format(
            total=self.total, **{s: self.counts.get(s, 0) for s in STATUSES})]
        parts.append(gettext(N_("Checked {parsed} file(s) now, re-used {reused} earlier result(s)."), lang).format(
            parsed=self.parsed, reused=self.reused))
        if self.missing:
            parts.append(gettext(N_("Not returned: {count} ({units})."), lang).format(
                count=len(self.missing), units=_units(self.missing, lang)))
        if self.late:
            parts.append(gettext(N_("Late: {count} ({units})."), lang).format(
                count=len(self.late), units=_units(self.late, lang)))
        parts.extend(note.message(lang) for note in self.notes)
        parts.append(gettext(N_("The results are in {folder}."), lang).format(folder=self.outdir))
        return ("" if lang == "zh_CN" else " ").join(parts)


def run_batch(folder: Path, outdir: Path, registry: Registry, *, roster: Path | None = None,
              form: str | None = None, db: Path | None = None, settings: Settings = Settings(),
              issuer: str = "", reveal_pii: bool = False, suppress_below: int = 0, lang: str = "zh_CN",
              progress: Callable[[int, int], None] | None = None, check: Check = work.check) -> Summary:
    """Check every file under ``folder`` and write the outputs into ``outdir``; see docs/batch.md.

    ``suppress_below``: small counts in the consolidated statistics are written as ``<N`` (see
    :func:`formgen.batch.consolidate.consolidate`).  ``progress(done, total)`` is called as files are done.  ``check`` is the per-file function (tests
    pass a slow or greedy one).  Usage problems (a bad roster, an unknown ``form``) raise FormgenError
    before any file is read.
    """
    folder, outdir = Path(folder), Path(outdir)
    if form is not None:
        registry.get(form)
    units = load_roster(roster, registry) if roster else None
    client = connect(settings.scheduler) if settings.scheduler else None
    ledger = _open_ledger(db or outdir / LEDGER, f"{__version__}:{registry.fingerprint()}", form)
    try:
        parsed, reused = _check_all(folder, ledger, registry, form, settings, client, lang, progress, check)
        _derive(ledger, registry, units, form, settings.deadlines, lang)
        ledger.commit()
        submissions, notes = _outputs(ledger, outdir, registry, units, form, issuer, reveal_pii,
                                     suppress_below, lang)
        return Summary(outdir, ledger.counts(), parsed, reused,
                       [r for r in submissions or [] if r["status"] == "missing"],
                       [r for r in submissions or [] if r["status"] == "late"], notes)
    finally:
        ledger.close()
        if client is not None:
            client.close()


def _open_ledger(path: Path, fingerprint: str, form: str | None) -> Ledger:
    try:
        return Ledger(path, fingerprint, form, __version__)
    except (OSError, sqlite3.Error) as exc:
        raise EnvironmentProblem(N_("The ledger {file} cannot be opened ({reason}). Give another file with --db, "
                                    "or another folder with -o."),
                                 file=str(path), reason=getattr(exc, "strerror", None) or str(exc)) from None


# -- checking ----------------------------------------------------------------------------------------


def _check_all(folder: Path, ledger: Ledger, registry: Registry, form: str | None, settings: Settings,
               client: Any, lang: str, progress: Callable[[int, int], None] | None, check: Check) -> tuple[int, int]:
    """Record every file of the folder in the ledger and check those not checked yet.

    Returns (parsed, reused): the distinct contents checked now, and those whose earlier result was re-used.
    """
    total = sum(1 for _ in walk(folder)) if progress else 0  # a second walk, only for the progress bar
    done = reused = parsed = 0
    waiting: dict[str, int] = {}  # sha256 -> files of this run waiting for its check

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, total)

    def jobs() -> Iterator[Job]:
        nonlocal reused
        for found in walk(folder):
            now = _now()
            seen = _see(found, ledger, settings, lang, now)
            if seen is None:
                advance(1)
                continue
            job, checked = seen
            if job.key in waiting:
                waiting[job.key] += 1
            elif ledger.met_before(job.key):
                advance(1)
            elif checked:
                reused += 1
                advance(1)
            else:
                waiting[job.key] = 1
                yield job
        ledger.commit()

    if client is not None:
        results = run_dask(jobs(), client, registry, form, lang, check=check)
    else:
        results = run_local(jobs(), registry, form, lang, settings.jobs, settings.limits, check=check)
    for sha256, out in results:
        ledger.store(sha256, out, _now())
        parsed += 1
        advance(waiting.pop(sha256))
    return parsed, reused


def _see(found: Any, ledger: Ledger, settings: Settings, lang: str, now: str) -> tuple[Job, bool] | None:
    """Record one found file in the ledger; (the Job to check it, whether its bytes are checked already), or None
    when it is not to be checked."""
    try:
        stat = found.path.lstat() if found.skip else found.path.stat()
    except OSError as exc:
        ledger.see(found.relpath, "", 0, 0, now, None, found.skip, None if found.skip else _os_failure(exc, lang))
        return None
    received = None
    if settings.received_from == "mtime":
        received = dt.datetime.fromtimestamp(stat.st_mtime, CST).isoformat(timespec="microseconds")
    if found.skip:
        ledger.see(found.relpath, "", stat.st_size, stat.st_mtime_ns, now, received, found.skip)
        return None
    if stat.st_size > settings.limits.size:
        failure = work.failure(Code.FILE_TOO_LARGE, lang, limit=settings.limits.size // (1 << 20))
        try:
            sha256 = ledger.known_sha256(found.relpath, stat.st_size, stat.st_mtime_ns) or _hash_file(found.path)
        except OSError as exc:
            sha256, failure = "", _os_failure(exc, lang)
        ledger.see(found.relpath, sha256, stat.st_size, stat.st_mtime_ns, now, received, None, failure)
        return None
    known = ledger.known(found.relpath, stat.st_size, stat.st_mtime_ns)
    if known is not None and known[2]:  # seen with this size and mtime, and checked: not read again
        sha256, first_seen, _checked = known
        ledger.see(found.relpath, sha256, stat.st_size, stat.st_mtime_ns, now, received, None, first_seen=first_seen)
        return Job(sha256, found.relpath, b""), True
    try:
        data = found.path.read_bytes()
    except OSError as exc:
        ledger.see(found.relpath, "", stat.st_size, stat.st_mtime_ns, now, received, None, _os_failure(exc, lang))
        return None
    sha256 = hashlib.sha256(data).hexdigest()
    ledger.see(found.relpath, sha256, stat.st_size, stat.st_mtime_ns, now, received, None)
    return Job(sha256, found.relpath, data), ledger.checked(sha256) if known is None or known[0] != sha256 else False


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _os_failure(exc: OSError, lang: str) -> dict:
    return work.failure(Code.FILE_UNREADABLE, lang, format="?", reason=exc.strerror or type(exc).__name__)


def _now() -> str:
    """Now, as the ledger keeps received times: to the microsecond, so that two runs a moment apart are ordered."""
    return dt.datetime.now(CST).isoformat(timespec="microseconds")


# -- statuses ----------------------------------------------------------------------------------------


def _derive(ledger: Ledger, registry: Registry, roster: Roster | None, form: str | None,
            deadlines: dict[str, dt.datetime], lang: str) -> None:
    """Each file's unit, lateness and status, from its check, the roster and the other files."""
    for page in ledger.pages():
        skipped, found = [], []
        for row in page:
            if row["skip"]:
                issue = Issue(Code.SKIPPED, params={"reason": row["skip"]})
                skipped.append(("skipped", [work.issue_dict(issue, None, lang)], row["relpath"]))
                continue
            check = row["check"] or {}
            spec = registry.find(check["form"], check["version"]) if check.get("form") and check.get("version") \
                else None
            if spec is None or not check.get("readable"):
                continue
            unit, extra = identify_unit(spec, row["record"], row["unit"], roster)
            late = None
            if form in (None, spec.id):  # a return of the wrong form is not late for anything
                late = late_issue(dt.datetime.fromisoformat(row["received_at"]), date_deadline(spec, deadlines))
            if late:
                extra.append(late)
            unit = unit or {}
            found.append((spec.id, unit.get("code") or None, unit.get("name"), unit.get("matched_by"),
                          int(late is not None), [work.issue_dict(i, spec, lang) for i in extra], row["relpath"]))
        ledger.update_all(("status", "extra"), skipped)
        ledger.update_all(("form", "unit_code", "unit_name", "matched_by", "late", "extra"), found)
    ledger.mark_duplicates()
    ledger.mark_superseded()
    for page in ledger.pages(records=False):
        statuses = []
        for row in page:
            if row["status"] is None:
                check = row["check"] or {}
                issues = check.get("issues", []) + row["extra"]
                status = "unreadable" if not check.get("readable") else "invalid" if work.has_error(issues) \
                    else "valid"
                statuses.append((status, row["relpath"]))
        ledger.update_all(("status",), statuses)


# -- outputs -----------------------------------------------------------------------------------------


def result_line(row: dict[str, Any], lang: str) -> dict[str, Any]:
    """A ledger row as its results.jsonl line (the contract in docs/batch.md)."""
    check = row["check"] or {}
    status = row["status"]
    issues: list[dict] = []
    if status == "duplicate":
        issues = [work.issue_dict(Issue(Code.DUPLICATE, params={"other": row["other"]}), None, lang)]
    elif status == "superseded":
        issues = [work.issue_dict(Issue(Code.SUPERSEDED, params={"other": row["other"]}), None, lang)]
    elif status == "skipped":
        issues = row["extra"]
    else:
        issues = check.get("issues", []) + row["extra"]
    unit = None
    if row["unit_code"] is not None:
        unit = {"code": row["unit_code"], "name": row["unit_name"] or "", "matched_by": row["matched_by"]}
    return {"path": row["relpath"], "sha256": row["sha256"] or None, "size": row["size"],
            "format": check.get("format"), "form": check.get("form"), "version": check.get("version"),
            "unit": unit, "status": status, "late": bool(row["late"]),
            "received_at": dt.datetime.fromisoformat(row["received_at"]).isoformat(timespec="seconds"),
            "duplicate_of": row["other"] if status == "duplicate" else None,
            "superseded_by": row["other"] if status == "superseded" else None,
            "issues": issues}


def _outputs(ledger: Ledger, outdir: Path, registry: Registry, roster: Roster | None, form: str | None,
             issuer: str, reveal_pii: bool, suppress_below: int, lang: str) -> tuple[list[dict] | None, list[Issue]]:
    """Write every output from the ledger; (the submission rows when there is a roster, the notes of consolidation
    and the report)."""

    def results() -> Iterator[dict]:
        return (result_line(row, lang) for row in ledger.rows(records=False))

    with atomic_path(outdir / RESULTS) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for line in results():
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    submissions = None
    if roster is not None:
        slim = ({k: v for k, v in line.items() if k != "issues"} for line in results())
        submissions = submission_table(roster, slim, registry, [form] if form else None)
    notes: list[Issue] = []
    for form_id in ledger.forms_with("valid"):
        def entries(form_id: str = form_id) -> Iterator[tuple[str, Entry]]:
            return ((version, Entry(unit_code, unit_name, relpath, record))
                    for version, unit_code, unit_name, relpath, record in ledger.records(form_id))
        notes.extend(consolidate_versions(registry.versions(form_id), entries, outdir, lang, reveal_pii,
                                          suppress_below))
    notes.extend(write_report(outdir / REPORT, results, submissions, lang))
    write_return_notices(outdir / NOTICES, results, roster, issuer, lang)
    if submissions is not None:
        write_reminders(outdir / REMINDERS, submissions, lang)
    return submissions, notes


def _units(rows: list[dict], lang: str, limit: int = 10) -> str:
    names = sorted({row["unit_name"] or row["unit_code"] for row in rows})
    shown = "、".join(names[:limit]) if lang == "zh_CN" else ", ".join(names[:limit])
    return shown + ("…" if len(names) > limit else "")
