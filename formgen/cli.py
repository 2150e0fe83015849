"""The formgen command line: a thin shell over the library (DESIGN.md section 3).

Exit codes: 0 all good, 1 some file invalid or unreadable, 2 usage or definition error.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import click

from formgen import __version__
from formgen.batch import Settings, run_batch
from formgen.batch.deadlines import parse_deadline
from formgen.batch.pool import Limits
from formgen.compile import COMPILERS
from formgen.i18n import LANGS, N_, set_language
from formgen.i18n import gettext as _
from formgen.issues import Code, EnvironmentProblem, FormgenError, Issue
from formgen.batch.walk import walk
from formgen.pipeline import process, skipped
from formgen.report import REPORTERS
from formgen.spec import Registry
from formgen.spec.lint import lint_file


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


@click.group()
@click.version_option(__version__, prog_name="formgen")
@click.option("--lang", type=click.Choice(LANGS), default="zh_CN", show_default=True,
              help="Language of messages.")
@click.option("--forms", "forms_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of form definitions (default: $FORMGEN_FORMS or the project's forms/).")
@click.pass_context
def cli(ctx: click.Context, lang: str, forms_dir: Path | None) -> None:
    """formgen: fillable Word, Excel and PDF forms from JSON-Schema definitions, read back and validated."""
    set_language(lang)
    ctx.obj = {"registry": Registry(forms_dir), "lang": lang}


@cli.command("forms")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def forms_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the installed forms."""
    try:
        specs = _registry(ctx).all()
    except FormgenError as err:
        raise CliError(err) from None
    rows = [{"id": s.id, "version": s.version, "title": s.title, "title_en": s.ann.get("title_en", ""),
             "file": s.source} for s in specs]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    lang = ctx.obj["lang"]
    for spec in specs:
        click.echo(f"{spec.id:<28} {spec.version:<8} {spec.label(lang)}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def lint(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Check form definition files; exit 2 on any error."""
    seen: dict[tuple[str, str], str] = {}
    failed = False
    for path in files:
        definition, issues = lint_file(path)
        ident = (definition or {}).get("x-formgen", {}) if isinstance(definition, dict) else {}
        key = (ident.get("id"), ident.get("version"))
        if not issues and key in seen:
            issues = [Issue(Code.DEF_DUPLICATE, params={"file": str(path), "form": key[0], "version": key[1],
                                                         "other": seen[key]})]
        seen.setdefault(key, str(path))
        if issues:
            failed = True
            for issue in issues:
                click.echo(f"{issue.code.id} {issue.message()}")
        else:
            click.echo(_("{file}: OK").format(file=path))
    if failed:
        ctx.exit(2)


@cli.command()
@click.argument("form_id")
@click.option("--format", "fmt", type=click.Choice(sorted(COMPILERS)), required=True, help="Output format.")
@click.option("--data", "data_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Pre-fill from this JSON record.")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), required=True,
              help="The file to write (with --roster: the folder).")
@click.option("--roster", "roster_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Write one form per unit of this roster (CSV or .xlsx) into the folder -o, each with its unit "
                   "filled in and its unit code stamped.")
@click.pass_context
def generate(ctx: click.Context, form_id: str, fmt: str, data_file: Path | None, out: Path,
             roster_file: Path | None) -> None:
    """Write a blank form, or one pre-filled from --data; with --roster, one per unit."""
    try:
        spec = _registry(ctx).get(form_id)
    except FormgenError as err:
        raise CliError(err) from None
    data = None
    if data_file:
        try:
            data = json.loads(data_file.read_text("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise click.UsageError(_("{file} is not a JSON record: {reason}").format(file=data_file, reason=exc))
        if not isinstance(data, dict):
            raise click.UsageError(_("{file} must hold one JSON object (the record).").format(file=data_file))
    if roster_file is not None:
        _distribute(ctx, spec, roster_file, fmt, out, data)
        return
    if out.is_dir():
        raise click.UsageError(_("{file} is a folder: give the file to write, or --roster to write one per unit.")
                               .format(file=out))
    try:
        COMPILERS[fmt].compile(spec, data, out, ctx.obj["lang"])
    except FormgenError as err:
        raise CliError(err) from None
    click.echo(_("Wrote {file}").format(file=out), err=True)


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


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.pass_context
def extract(ctx: click.Context, file: Path) -> None:
    """Print a returned file's data as JSON: {"form", "version", "data"}."""
    result = process(file, _registry(ctx))
    if not result.readable:
        REPORTERS["text"](sys.stderr, [result])
        raise Invalid("")
    click.echo(json.dumps({"form": result.form, "version": result.version, "data": result.data},
                          ensure_ascii=False, indent=2))


@cli.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--reporter", type=click.Choice(sorted(REPORTERS)), default=None,
              help="Choose a reporter by name (default text; --json is the same as --reporter json).")
@click.pass_context
def validate_cmd(ctx: click.Context, paths: tuple[Path, ...], as_json: bool, reporter: str | None) -> None:
    """Validate returned files, and every file in the folders given: per file, valid or not, and each
    issue with code, field and message.  Lock and system files in a folder are listed as skipped; a
    path that is missing or cannot be read is a result of its own."""
    results = []
    for path in paths:
        if not path.is_dir():
            results.append(process(path, _registry(ctx)))
            continue
        for found in walk(path):
            results.append(skipped(found.path, found.skip, found.unreadable) if found.skip
                           else process(found.path, _registry(ctx)))
    REPORTERS[reporter or ("json" if as_json else "text")](sys.stdout, results)
    if any(r.status in ("invalid", "unreadable") for r in results):
        raise Invalid("")


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The folder for results.jsonl, report.xlsx, 退回/, 催报名单.csv, 汇总/ and the ledger.")
@click.option("--roster", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Who must return what: a CSV or xlsx of unit code, name, contact and forms.")
@click.option("--form", "form_id", help="The form expected; a file of another form is reported (FG110).")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: the number of cores).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="The ledger database (default: OUTDIR/ledger.sqlite).")
@click.option("--scheduler", metavar="ADDRESS", help="Check the files on this Dask distributed cluster.")
@click.option("--received-from", type=click.Choice(["ledger", "mtime"]), default="ledger", show_default=True,
              help="Received time: when the ledger first saw a file, or the file's modification time.")
@click.option("--deadline", "deadlines", multiple=True, metavar="[FORM=]DATE",
              help="Override a form's date deadline (YYYY-MM-DD or YYYY-MM-DDTHH:MM, China time); repeatable.")
@click.option("--issuer", default="", help="The bureau's name, signing the 退回修改通知.")
@click.option("--reveal-pii", is_flag=True, help="Show personal data unmasked in the consolidated tables.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=Limits.seconds,
              show_default=True, help="Seconds one file may take.")
@click.option("--memory-limit", type=click.IntRange(min=64), default=Limits.memory >> 20, show_default=True,
              help="MiB of memory a worker may use.")
@click.option("--size-limit", type=click.IntRange(min=1), default=Limits.size >> 20, show_default=True,
              help="MiB: larger files are not read.")
@click.pass_context
def batch(ctx: click.Context, folder: Path, outdir: Path, roster: Path | None, form_id: str | None,
          jobs: int | None, db: Path | None, scheduler: str | None, received_from: str, deadlines: tuple[str, ...],
          issuer: str, reveal_pii: bool, time_limit: float, memory_limit: int, size_limit: int) -> None:
    """Check a folder of returned files: results, report, return notices, reminders, consolidated tables."""
    lang = ctx.obj["lang"]
    try:
        settings = Settings(jobs=jobs, scheduler=scheduler, received_from=received_from,
                            limits=Limits(time_limit, memory_limit << 20, size_limit << 20),
                            deadlines=dict(parse_deadline(text) for text in deadlines))
        with _batch_progress() as progress:
            summary = run_batch(folder, outdir, _registry(ctx), roster=roster, form=form_id, db=db,
                                settings=settings, issuer=issuer, reveal_pii=reveal_pii, lang=lang,
                                progress=progress)
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


def main() -> None:
    cli(prog_name="formgen")


if __name__ == "__main__":
    sys.exit(main())
