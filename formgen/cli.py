"""The formgen command line: a thin shell over the library (DESIGN.md section 3).

Exit codes: 0 all good, 1 some file invalid or unreadable, 2 usage or definition error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from formgen import __version__
from formgen.author import cli as author_cli
from formgen.compile import COMPILERS
from formgen.i18n import LANGS, set_language
from formgen.i18n import gettext as _
from formgen.issues import Code, FormgenError, Issue
from formgen.pipeline import process
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
              help="A folder of more form definitions, added to the installed forms and those of $FORMGEN_FORMS.")
@click.pass_context
def cli(ctx: click.Context, lang: str, forms_dir: Path | None) -> None:
    """formgen: fillable Word, Excel and PDF forms from JSON-Schema definitions, read back and validated."""
    set_language(lang)
    ctx.obj = {"registry": Registry(extra=[forms_dir] if forms_dir else []), "lang": lang}


@cli.command("forms")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def forms_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the installed forms."""
    try:
        specs = _registry(ctx).all()
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
             "file": s.source} for s in specs]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        ctx.exit(2 if problems else 0)
    lang = ctx.obj["lang"]
    for spec in specs:
        click.echo(f"{spec.id:<28} {spec.version:<8} {spec.label(lang)}")
    if problems:
        ctx.exit(2)


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
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--reporter", type=click.Choice(sorted(REPORTERS)), default=None,
              help="Choose a reporter by name (default text; --json is the same as --reporter json).")
@click.pass_context
def validate_cmd(ctx: click.Context, files: tuple[Path, ...], as_json: bool, reporter: str | None) -> None:
    """Validate returned files: per file, valid or not, and each issue with code, field and message."""
    results = [process(f, _registry(ctx)) for f in files]
    REPORTERS[reporter or ("json" if as_json else "text")](sys.stdout, results)
    if not all(r.valid for r in results):
        raise Invalid("")


cli.add_command(author_cli.author)
cli.add_command(author_cli.diff_cmd)


def main() -> None:
    cli(prog_name="formgen")


if __name__ == "__main__":
    sys.exit(main())
