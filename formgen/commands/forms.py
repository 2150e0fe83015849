"""`formgen forms`: the installed forms and their versions."""

from __future__ import annotations

import json

import click

from formgen.cli_support import CliError, option, registry_of
from formgen.commands import command
from formgen.i18n import N_
from formgen.i18n import gettext as _
from formgen.issues import FormgenError


@command("forms")
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@click.pass_context
def forms_cmd(ctx: click.Context, as_json: bool) -> None:
    from formgen.spec.model import version_key

    try:
        current = {s.id: s.version for s in registry_of(ctx).all()}
        specs = sorted(registry_of(ctx).versions(), key=lambda s: (s.id, [-n for n in version_key(s.version)]))
    except FormgenError as err:
        raise CliError(err) from None
    problems = registry_of(ctx).check()
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
