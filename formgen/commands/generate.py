"""`formgen generate` and `formgen preview`: write forms, blank or pre-filled, and look at them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from formgen.cli_support import (EXTENSIONS, CliError, FilePath, Format, Invalid, OutputError, check_output,
                                 option, output_problem, registry_of, resolve_form, resolve_format, resolve_version,
                                 write_output)
from formgen.commands import command
from formgen.compile import COMPILERS
from formgen.i18n import N_
from formgen.i18n import gettext as _
from formgen.issues import Code, FormgenError, Issue
from formgen.report import counts, issue_lines

if TYPE_CHECKING:
    from formgen.spec import Registry


@command("generate")
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
    registry = registry_of(ctx)
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


@command("preview")
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

    registry = registry_of(ctx)
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
        roster = load_roster(roster_file, registry_of(ctx))
        written = distribute(spec, roster, fmt, folder, data, ctx.obj["lang"])
    except FormgenError as err:
        raise CliError(err) from None
    click.echo(_("Wrote {count} forms, one per unit of {roster} that must return {form}, to {folder}").format(
        count=len(written), roster=roster_file, form=spec.label(ctx.obj["lang"]), folder=folder), err=True)
