"""The formgen command line: a thin shell over the library (DESIGN.md section 3).

Exit codes: 0 all good, 1 some file invalid or unreadable, 2 usage or definition error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import click

from formgen import __version__
from formgen.author import cli as author_cli
from formgen.limits import WorkerLimits
from formgen.compile import COMPILERS
from formgen.cli_support import (EXTENSIONS, FilePath, Format, FormgenGroup, I18nOption, Language, OutputError,
                                 Unexpected, check_output, debugging, option, output_problem, resolve_form, resolve_format,
                                 resolve_language, resolve_version, write_output)
from formgen.i18n import N_, set_language
from formgen.i18n import gettext as _
from formgen.issues import Code, EnvironmentProblem, FormgenError, Issue, Severity
from formgen.report import REPORTERS, counts, issue_lines

if TYPE_CHECKING:
    from formgen.spec import Registry


class CliError(click.ClickException):
    """A FormgenError shown to the user; carries the error's exit code."""

    def __init__(self, error: FormgenError):
        super().__init__(error.message())
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        click.echo(_("Error: {message}").format(message=self.format_message()), err=True)


class Invalid(click.ClickException):
    """Some file was invalid or unreadable: the report was already printed."""

    exit_code = 1

    def show(self, file=None) -> None:
        pass


def _registry(ctx: click.Context) -> Registry:
    return ctx.obj["registry"]


@click.group(cls=FormgenGroup, help=N_(
    "formgen: fillable Word, Excel and PDF forms from JSON-Schema definitions, read back and validated."))
@click.version_option(__version__, prog_name="formgen", cls=I18nOption, help=N_("Show the version and exit."))
@option("--lang", type=Language(), default=None,
        help=N_("Language of messages and help: zh (中文) or en (English). Default: $FORMGEN_LANG, "
                "else the system locale, else Chinese. May also follow the command."))
@option("--forms", "forms_dir", type=FilePath(file_okay=False, path_type=Path), default=None, metavar="DIR",
        help=N_("A folder of more form definitions, added to the installed forms and to those of "
                "$FORMGEN_FORMS. May also follow the command."))
@click.pass_context
def cli(ctx: click.Context, lang: str | None, forms_dir: Path | None) -> None:
    lang = resolve_language(lang, os.environ)
    from formgen.spec import Registry  # here, not at the top: `formgen --help` needs no definitions

    set_language(lang)
    ctx.obj = {"registry": Registry(extra=[forms_dir] if forms_dir else []), "lang": lang}


@cli.command("forms", help=N_(
    "List the installed forms, every version: the newest (generated unless --version says otherwise) first, then "
    "the earlier ones, whose returns are still read."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@click.pass_context
def forms_cmd(ctx: click.Context, as_json: bool) -> None:
    from formgen.spec.model import version_key

    try:
        current = {s.id: s.version for s in _registry(ctx).all()}
        specs = sorted(_registry(ctx).versions(), key=lambda s: (s.id, [-n for n in version_key(s.version)]))
    except FormgenError as err:
        raise CliError(err) from None
    problems = _registry(ctx).check()
    for issue in problems:
        click.echo(f"{issue.code.id} {issue.message()}", err=True)
    for file in dict.fromkeys(i.params["file"] for i in problems):
        count = sum(1 for i in problems if i.params["file"] == file)
        click.echo(_("The form definition {file} has {count} problem(s); run `formgen lint {file}`.").format(
            file=file, count=count), err=True)
    rows = [{"id": s.id, "version": s.version, "title": s.title, "title_en": s.ann.get("title_en", ""),
             "file": s.source, "current": current.get(s.id) == s.version} for s in specs]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        ctx.exit(2 if problems else 0)
    lang = ctx.obj["lang"]
    for spec in specs:
        earlier = "" if current.get(spec.id) == spec.version else " " + _(
            "(an earlier version: returns made from it are still read)")
        click.echo(f"{spec.id:<28} {spec.version:<8} {spec.label(lang)}{earlier}")
    if problems:
        ctx.exit(2)


@cli.command(help=N_(
    "Check form definition files, their migrations against the versions they migrate from (installed, or among "
    "the files given), and Word templates (.docx); exit 2 on any error. A definition's stored Word template is "
    "checked with it. Without FILES: every form in the forms folders (--forms DIR included) and their versions/ "
    "subfolders, the Word templates in templates/ and any Word templates in those folders."))
@click.argument("files", nargs=-1, type=FilePath(dir_okay=False, path_type=Path))
@click.pass_context
def lint(ctx: click.Context, files: tuple[Path, ...]) -> None:
    from formgen.compile.docx import template_problems
    from formgen.compile.docx_template import TEMPLATES, template_path
    from formgen.spec import VERSIONS
    from formgen.spec.lint import lint_file
    from formgen.spec.migrate import lint_sources
    from formgen.spec.model import FormSpec

    if not files:
        folders = _registry(ctx).folders
        files = tuple(p for folder in folders for pattern in ("*.json", f"{VERSIONS}/*.json")
                      for p in sorted(folder.glob(pattern))) + tuple(
            dict.fromkeys(p for folder in (TEMPLATES, *folders) for p in sorted(folder.glob("*.docx"))))
    seen: dict[tuple[str, str], str] = {}
    found: list[tuple[Path, FormSpec | None, list[Issue]]] = []
    templates = [p for p in files if p.suffix.lower() == ".docx"]
    for path in files:
        if path.suffix.lower() == ".docx":
            continue
        definition, issues = lint_file(path)
        ident = (definition or {}).get("x-formgen", {}) if isinstance(definition, dict) else {}
        key = (ident.get("id"), ident.get("version"))
        if not issues and key in seen:
            issues = [Issue(Code.DEF_DUPLICATE, params={"file": str(path), "form": key[0], "version": key[1],
                                                         "other": seen[key]})]
        seen.setdefault(key, str(path))
        spec = None if issues else FormSpec.from_definition(definition, str(path))
        if spec is not None:
            stored = template_path(spec)
            if stored.is_file() and all(stored.resolve() != t.resolve() for t in templates):
                templates.append(stored)
        found.append((path, spec, issues))
    given = {(s.id, s.version): s for _p, s, _i in found if s is not None}
    try:
        installed = _registry(ctx).versions()
    except FormgenError as err:  # a --forms folder that does not exist
        raise CliError(err) from None
    versions = [*given.values(), *(s for s in installed if (s.id, s.version) not in given)]
    failed = False
    for path, spec, issues in found:
        if spec is not None:
            issues = list(lint_sources(spec, versions, str(path)))
        failed = _lint_report(path, issues) or failed
    for path in templates:
        failed = _lint_report(path, template_problems(path.read_bytes(), str(path))) or failed
    if failed:
        ctx.exit(2)


def _lint_report(path: Path, issues: list[Issue]) -> bool:
    """Print a linted file's problems, or that it is OK; whether it has any."""
    for issue in issues:
        click.echo(f"{issue.code.id} {issue.message()}")
    if not issues:
        click.echo(_("{file}: OK").format(file=path))
    return bool(issues)


@cli.command(help=N_(
    "Write a blank form, or one pre-filled from --data; with --roster, one per unit. FORM is the form's id, its "
    "title or the beginning of either; the format follows the extension of -o (.xlsx, .docx, .pdf) unless "
    "--format is given."))
@click.argument("form", required=False)
@option("--format", "fmt", type=Format(), default=None,
        help=N_("Output format: xlsx (Excel), docx (Word) or pdf, in any case; default: from the extension of -o."))
@option("--data", "data_file", type=FilePath(dir_okay=False, exists=True, path_type=Path),
        help=N_("Pre-fill from this JSON record; it is checked against the form first."))
@option("--strict", is_flag=True,
        help=N_("With --data: when the record breaks the form's rules, write nothing and exit 1."))
@option("--all", "all_forms", is_flag=True,
        help=N_("Write every installed form into the folder -o (in every format unless --format is given)."))
@option("-o", "--output", "out", type=FilePath(path_type=Path), required=True,
        help=N_("The file to write (with --all or --roster: the folder)."))
@option("--roster", "roster_file", type=FilePath(dir_okay=False, exists=True, path_type=Path),
        help=N_("Write one form per unit of this roster (CSV or .xlsx) into the folder -o, each with its unit "
                "filled in and its unit code stamped."))
@option("--version", "version", metavar="VERSION",
        help=N_("Write this installed version of the form (see `formgen forms`); default: the newest."))
@click.pass_context
def generate(ctx: click.Context, form: str | None, fmt: str | None, data_file: Path | None, strict: bool,
             all_forms: bool, out: Path, roster_file: Path | None, version: str | None) -> None:
    registry = _registry(ctx)
    if all_forms:
        if form or data_file or version:
            raise click.UsageError(_("--all writes the newest version of every form blank: leave out the form's "
                                     "name, --data and --version."))
        _generate_all(registry, fmt, out, ctx.obj["lang"])
        return
    if not form:
        raise click.UsageError(_("Name the form to write (see `formgen forms`), or give --all."))
    if roster_file is None:
        check_output(out)
        fmt = resolve_format(fmt, out)
    elif fmt is None:
        raise click.UsageError(_("With --roster, -o is a folder: give the format with --format (xlsx, docx or pdf)."))
    try:
        spec = resolve_version(registry, resolve_form(registry, form), version)
    except FormgenError as err:
        raise CliError(err) from None
    data = _record(data_file) if data_file else None
    problems = _prefill_problems(spec, data) if data is not None else []
    if problems:
        _show_data_problems(data_file, spec, problems, strict)
        if strict:
            raise Invalid("")
    if roster_file is not None:
        _distribute(ctx, spec, roster_file, fmt, out, data)
        return
    _compile(spec, fmt, data, out, ctx.obj["lang"])
    click.echo(_("Wrote {file}").format(file=out), err=True)


@cli.command(help=N_(
    "Look at a form before publishing it: write it into the folder -o in every format (or those of --format), "
    "blank or pre-filled from --data, with a PNG image of every page (ID-FORMAT-N.png). Excel and Word files "
    "are printed to pages by LibreOffice, as an office program prints them; PDF pages are drawn by pdftoppm."))
@click.argument("form")
@option("--format", "formats", type=Format(), multiple=True,
        help=N_("Only this format: xlsx (Excel), docx (Word) or pdf; may be given more than once. Default: all three."))
@option("--data", "data_file", type=FilePath(dir_okay=False, exists=True, path_type=Path),
        help=N_("Pre-fill from this JSON record; it is checked against the form first."))
@option("--version", "version", metavar="VERSION",
        help=N_("Show this installed version of the form (see `formgen forms`); default: the newest."))
@option("-o", "--output", "out", type=FilePath(file_okay=False, path_type=Path), required=True,
        help=N_("The folder for the files and the page images; it is made if it does not exist."))
@click.pass_context
def preview(ctx: click.Context, form: str, formats: tuple[str, ...], data_file: Path | None, version: str | None,
            out: Path) -> None:
    from formgen.preview import check_programs, preview as pages

    registry = _registry(ctx)
    wanted = list(dict.fromkeys(formats)) or sorted(COMPILERS)
    try:
        spec = resolve_version(registry, resolve_form(registry, form), version)
        check_programs(wanted)
    except FormgenError as err:
        raise CliError(err) from None
    data = _record(data_file) if data_file else None
    problems = _prefill_problems(spec, data) if data is not None else []
    if problems:
        _show_data_problems(data_file, spec, problems, strict=False)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(output_problem(out, exc)) from None
    for fmt in wanted:
        file = out / f"{spec.id}{EXTENSIONS[fmt]}"
        _compile(spec, fmt, data, file, ctx.obj["lang"])
        try:
            shown = pages(file, fmt, out)
        except FormgenError as err:
            raise CliError(err) from None
        click.echo(_("{file}: {count} page(s): {images}").format(
            file=file, count=len(shown.pages), images=", ".join(p.name for p in shown.pages)))


def _record(data_file: Path) -> dict:
    try:
        data = json.loads(data_file.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.UsageError(_("{file} is not a JSON record: {reason}").format(file=data_file, reason=exc))
    if not isinstance(data, dict):
        raise click.UsageError(_("{file} must hold one JSON object (the record).").format(file=data_file))
    return data


def _prefill_problems(spec, data: dict) -> list[Issue]:
    """What in a pre-fill record breaks the definition; a field it leaves empty is not a problem (people fill it)."""
    from formgen.validate import validate

    return [i for i in validate(spec, data) if i.code not in (Code.REQUIRED, Code.TOO_FEW_ROWS)]


def _show_data_problems(data_file: Path, spec, problems: list[Issue], strict: bool) -> None:
    click.echo(_("The record {file} does not fit the form {form} ({counts}):").format(
        file=data_file, form=spec.id, counts=counts(problems)), err=True)
    for issue in problems:
        click.echo("\n".join(issue_lines(issue)), err=True)
    if strict:
        click.echo(_("Nothing was written (--strict). Correct the record and run the command again."), err=True)
    else:
        click.echo(_("The form is written anyway, with these values; correct the record to pre-fill it right."),
                   err=True)


def _compile(spec, fmt: str, data: dict | None, out: Path, lang: str) -> None:
    def write() -> None:
        COMPILERS[fmt].compile(spec, data, out, lang)

    try:
        write_output(out, write)
    except FormgenError as err:
        raise CliError(err) from None


def _generate_all(registry: Registry, fmt: str | None, folder: Path, lang: str) -> None:
    if folder.exists() and not folder.is_dir():
        raise click.UsageError(_("With --all, -o names a folder, but {file} is a file.").format(file=folder))
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(output_problem(folder, exc)) from None
    try:
        specs = registry.all()
    except FormgenError as err:
        raise CliError(err) from None
    for spec in specs:
        for each in [fmt] if fmt else sorted(COMPILERS):
            _compile(spec, each, None, folder / f"{spec.id}{EXTENSIONS[each]}", lang)
    click.echo(_("Wrote {count} file(s) into {folder}").format(
        count=len(specs) * (1 if fmt else len(COMPILERS)), folder=folder), err=True)


def _distribute(ctx: click.Context, spec, roster_file: Path, fmt: str, folder: Path, data: dict | None) -> None:
    """generate --roster: one form per unit that must return it, written into ``folder``."""
    from formgen.batch.distribute import distribute
    from formgen.batch.roster import load_roster

    try:
        roster = load_roster(roster_file, _registry(ctx))
        written = distribute(spec, roster, fmt, folder, data, ctx.obj["lang"])
    except FormgenError as err:
        raise CliError(err) from None
    click.echo(_("Wrote {count} forms, one per unit of {roster} that must return {form}, to {folder}").format(
        count=len(written), roster=roster_file, form=spec.label(ctx.obj["lang"]), folder=folder), err=True)


MIGRATE_HELP = N_("Bring the record of an earlier version of the form to its newest version, as the newest "
                  "definition's migrations say (x-formgen.migrate); each change is reported.")


@cli.command(help=N_('Print a returned file\'s data as JSON: {"form", "version", "data"}, in the version the file '
                     'was made from (with --migrate: in the newest, and "migrated_from").'))
@click.argument("file", type=FilePath(dir_okay=False, exists=True, path_type=Path))
@option("--migrate", is_flag=True, help=MIGRATE_HELP)
@click.pass_context
def extract(ctx: click.Context, file: Path, migrate: bool) -> None:
    from formgen.pipeline import process

    result = process(file, _registry(ctx), migrate=migrate)
    if not result.readable:
        REPORTERS["text"](sys.stderr, [result])
        raise Invalid("")
    out = {"form": result.form, "version": result.version, "data": result.data}
    if result.migrated_from:
        out["migrated_from"] = result.migrated_from
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    reading = [i for i in result.issues if i.code.id.startswith(("FG1", "FG36"))]  # reading and migrating
    if reading:  # never silently: a value not read, or read in a way to check, is said on stderr
        REPORTERS["text"](sys.stderr, [dataclasses.replace(result, issues=reading)])
    if any(i.severity == Severity.ERROR for i in reading):
        raise Invalid("")


@cli.command("validate", help=N_(
    "Validate returned files, and every file in the folders given: per file, valid or not, and each issue with "
    "code, field and message. Lock and system files in a folder are listed as skipped; a path that is missing or "
    "cannot be read is a result of its own."))
@click.argument("paths", nargs=-1, required=True, type=FilePath(path_type=Path))
@option("--json", "as_json", is_flag=True, help=N_("Print the results as JSON."))
@option("--reporter", type=click.Choice(sorted(REPORTERS)), default=None,
        help=N_("Choose a reporter by name (default text; --json is the same as --reporter json)."))
@option("--migrate", is_flag=True, help=MIGRATE_HELP)
@click.pass_context
def validate_cmd(ctx: click.Context, paths: tuple[Path, ...], as_json: bool, reporter: str | None,
                 migrate: bool) -> None:
    from formgen.batch.walk import walk
    from formgen.pipeline import process, skipped

    results = []
    for path in paths:
        if not path.is_dir():
            results.append(process(path, _registry(ctx), migrate=migrate))
            continue
        for found in walk(path):
            results.append(skipped(found.path, found.skip, found.unreadable) if found.skip
                           else process(found.path, _registry(ctx), migrate=migrate))
    REPORTERS[reporter or ("json" if as_json else "text")](sys.stdout, results)
    if any(r.status in ("invalid", "unreadable") for r in results):
        raise Invalid("")


@cli.command(help=N_("Check a folder of returned files: results, report, return notices, reminders, consolidated tables."))
@click.argument("folder", type=FilePath(file_okay=False, exists=True, path_type=Path))
@option("-o", "--output", "outdir", type=FilePath(file_okay=False, path_type=Path), required=True,
        help=N_("The folder for results.jsonl, report.xlsx, 退回/, 催报名单.csv, 汇总/ and the ledger."))
@option("--roster", type=FilePath(dir_okay=False, exists=True, path_type=Path),
        help=N_("Who must return what: a CSV or xlsx of unit code, name, contact and forms."))
@option("--form", "form_id", help=N_("The form expected; a file of another form is reported (FG110)."))
@option("--jobs", type=click.IntRange(min=1), help=N_("Worker processes (default: the number of cores)."))
@option("--db", type=FilePath(dir_okay=False, path_type=Path),
        help=N_("The ledger database (default: OUTDIR/ledger.sqlite)."))
@option("--scheduler", metavar="ADDRESS", help=N_("Check the files on this Dask distributed cluster."))
@option("--received-from", type=click.Choice(["ledger", "mtime"]), default="ledger", show_default=True,
        help=N_("Received time: when the ledger first saw a file, or the file's modification time."))
@option("--deadline", "deadlines", multiple=True, metavar="[FORM=]DATE",
        help=N_("Override a form's date deadline (YYYY-MM-DD or YYYY-MM-DDTHH:MM, China time); repeatable."))
@option("--issuer", default="", help=N_("The bureau's name, signing the 退回修改通知."))
@option("--reveal-pii", is_flag=True, help=N_("Show personal data unmasked in the consolidated tables."))
@option("--suppress-below", type=click.IntRange(min=0), default=0, show_default=True,
        help=N_("In the consolidated statistics, write a count above 0 and below N as <N and the totals as "
                "numbers (0: no suppression)."))
@option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=WorkerLimits.seconds,
        show_default=True, help=N_("Seconds one file may take."))
@option("--memory-limit", type=click.IntRange(min=64), default=WorkerLimits.memory >> 20, show_default=True,
        help=N_("MiB of memory a worker may use."))
@option("--size-limit", type=click.IntRange(min=1), default=WorkerLimits.size >> 20, show_default=True,
        help=N_("MiB: larger files are not read."))
@click.pass_context
def batch(ctx: click.Context, folder: Path, outdir: Path, roster: Path | None, form_id: str | None,
          jobs: int | None, db: Path | None, scheduler: str | None, received_from: str, deadlines: tuple[str, ...],
          issuer: str, reveal_pii: bool, suppress_below: int, time_limit: float, memory_limit: int, size_limit: int) -> None:
    lang = ctx.obj["lang"]
    try:
        from formgen.batch import Settings, run_batch
        from formgen.batch.deadlines import parse_deadline

        settings = Settings(jobs=jobs, scheduler=scheduler, received_from=received_from,
                            limits=WorkerLimits(time_limit, memory_limit << 20, size_limit << 20),
                            deadlines=dict(parse_deadline(text) for text in deadlines))
        with _batch_progress() as progress:
            summary = run_batch(folder, outdir, _registry(ctx), roster=roster, form=form_id, db=db,
                                settings=settings, issuer=issuer, reveal_pii=reveal_pii,
                                suppress_below=suppress_below, lang=lang, progress=progress)
    except FormgenError as err:
        raise CliError(err) from None
    except OSError as exc:
        raise CliError(EnvironmentProblem(N_("Cannot write {file} ({reason}). Choose another folder with -o."),
                                          file=str(exc.filename or outdir),
                                          reason=exc.strerror or type(exc).__name__)) from None
    click.echo(summary.text(lang))
    ctx.exit(summary.exit_code)


@contextlib.contextmanager
def _batch_progress() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr (files done, files/s, ETA) when stderr is a terminal, else nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    bars: list = []
    started = time.monotonic()

    def show(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=total, file=sys.stderr, show_eta=True, show_pos=True,
                                          item_show_func=lambda _: _rate(started, bars[0].pos)))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        yield show
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


def _rate(started: float, done: int) -> str:
    seconds = time.monotonic() - started
    return _("{rate:.1f} files/s").format(rate=done / seconds) if seconds > 0 else ""
cli.add_command(author_cli.author)
cli.add_command(author_cli.diff_cmd)


def main() -> None:
    """The ``formgen`` program: click's usage errors and formgen's own are messages; anything else that goes
    wrong (here or while click starts) is one message without a traceback, exit 2."""
    try:
        cli(prog_name="formgen")
    except Exception as exc:  # the last line of defence: never a traceback, never the exception's text
        if debugging():
            raise
        Unexpected(exc).show()
        sys.exit(Unexpected.exit_code)


if __name__ == "__main__":
    sys.exit(main())
