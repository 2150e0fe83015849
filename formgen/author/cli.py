"""`formgen author`: write and revise forms in a workbook (XLSForm convention) instead of JSON.

Listed on the main command line by ``formgen.commands.COMMANDS`` (which holds the help of ``author`` and
``diff``), and imported only when one of these commands runs; the libraries are imported inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from formgen.cli_support import FilePath, I18nCommand, option
from formgen.commands import command
from formgen.fsutil import atomic_path, atomic_write_bytes
from formgen.i18n import N_
from formgen.i18n import gettext as _
from formgen.issues import Issue


class AuthorGroup(I18nCommand, click.Group):
    """The ``formgen author`` commands, their help translated when shown."""

    command_class = I18nCommand


@command("author", cls=AuthorGroup)
def author() -> None:
    pass


def _show(issues: list[Issue]) -> bool:
    """Print the issues; True when one of them is an error."""
    for issue in issues:
        where = f"{issue.location} " if issue.location else ""
        click.echo(f"{issue.code.id} {where}{issue.message()}", err=True)
    return any(i.severity.value == "error" for i in issues)


@author.command("export", help=N_(
    "Write a form definition (forms/ID.json) as an authoring workbook."))
@click.argument("definition", type=FilePath(dir_okay=False, exists=True, path_type=Path))
@option("-o", "--output", "out", type=FilePath(dir_okay=False, path_type=Path), required=True,
              help=N_("The workbook to write (.xlsx)."))
@click.pass_context
def export_cmd(ctx: click.Context, definition: Path, out: Path) -> None:
    from formgen.author.workbook import write_workbook
    from formgen.spec.lint import lint_file

    parsed, issues = lint_file(definition)
    if parsed is None or _show(issues):
        ctx.exit(2)
    with atomic_path(out) as tmp:
        write_workbook(parsed, tmp)
    click.echo(_("Wrote {file}").format(file=out), err=True)


@author.command("import", help=N_(
    "Read an authoring workbook (or an XLSForm) into a form definition; nothing is written on an error."))
@click.argument("book", type=FilePath(dir_okay=False, exists=True, path_type=Path))
@option("-o", "--output", "out", type=FilePath(dir_okay=False, path_type=Path), required=True,
              help=N_("The form definition to write (forms/ID.json)."))
@click.pass_context
def import_cmd(ctx: click.Context, book: Path, out: Path) -> None:
    from formgen.author.lint import lint_book

    definition, issues = lint_book(book)
    if _show(issues) or definition is None:
        ctx.exit(2)
    text = json.dumps(definition, ensure_ascii=False, indent=2) + "\n"
    atomic_write_bytes(out, text.encode("utf-8"))
    click.echo(_("Wrote {file}").format(file=out), err=True)


@author.command("lint", help=N_(
    "Check authoring workbooks: every problem with its sheet, row and column; exit 2 on any error."))
@click.argument("books", nargs=-1, required=True, type=FilePath(dir_okay=False, exists=True, path_type=Path))
@click.pass_context
def lint_cmd(ctx: click.Context, books: tuple[Path, ...]) -> None:
    from formgen.author.lint import lint_book

    failed = False
    for book in books:
        _definition, issues = lint_book(book)
        failed |= _show(issues)
        if not issues:
            click.echo(_("{file}: OK").format(file=book))
    if failed:
        ctx.exit(2)


@author.command("template", help=N_(
    "Write a blank authoring workbook: instructions in Chinese, dropdowns, one example row of each type."))
@option("-o", "--output", "out", type=FilePath(dir_okay=False, path_type=Path), required=True,
              help=N_("The blank workbook to write (.xlsx)."))
def template_cmd(out: Path) -> None:
    from formgen.author.template import template_workbook

    with atomic_path(out) as tmp:
        template_workbook().save(tmp)
    click.echo(_("Wrote {file}").format(file=out), err=True)


def _definition(ctx: click.Context, path: Path) -> dict:
    """A definition from a JSON file or an authoring workbook; exit 2 (after the problems) if it is broken."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from formgen.author.lint import lint_book

        definition, issues = lint_book(path)
    else:
        from formgen.spec.lint import lint_file

        definition, issues = lint_file(path)
    if _show(issues) or definition is None:
        ctx.exit(2)
    return definition


@command("diff")
@click.argument("old", type=FilePath(dir_okay=False, exists=True, path_type=Path))
@click.argument("new", type=FilePath(dir_okay=False, exists=True, path_type=Path))
@option("--json", "as_json", is_flag=True, help=N_("Print the changes as JSON."))
@option("--migration", is_flag=True, help=N_(
    "Print the migration these changes suggest, for \"x-formgen\": {\"migrate\": ...} of NEW, and what is still "
    "to decide in it."))
@click.pass_context
def diff_cmd(ctx: click.Context, old: Path, new: Path, as_json: bool, migration: bool) -> None:
    from formgen.author.diff import diff
    from formgen.spec.model import FormSpec

    before = FormSpec.from_definition(_definition(ctx, old), str(old))
    after = FormSpec.from_definition(_definition(ctx, new), str(new))
    if migration:
        from formgen.author.migration import suggest

        migrate, issues = suggest(before, after, str(new))
        click.echo(json.dumps({"migrate": migrate}, ensure_ascii=False, indent=2))
        _show(issues)
        return
    changes = diff(before, after)
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in changes], ensure_ascii=False, indent=2))
        return
    for change in changes:
        click.echo(change.message())
    if not changes:
        click.echo(_("No changes."))
