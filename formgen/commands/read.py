"""`formgen extract` and `formgen validate`: read returned files back, and check them."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

from formgen.cli_support import FilePath, Invalid, option, registry_of
from formgen.commands import command
from formgen.i18n import N_
from formgen.issues import Severity
from formgen.report import REPORTERS


MIGRATE_HELP = N_("Bring the record of an earlier version of the form to its newest version, as the newest "
                  "definition's migrations say (x-formgen.migrate); each change is reported.")


@command("extract")
@click.argument("file", type=FilePath(dir_okay=False, exists=True, path_type=Path))
@option("--migrate", is_flag=True, help=MIGRATE_HELP)
@click.pass_context
def extract(ctx: click.Context, file: Path, migrate: bool) -> None:
    from formgen.pipeline import process

    result = process(file, registry_of(ctx), migrate=migrate)
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


@command("validate")
@click.argument("paths", nargs=-1, required=True, type=FilePath(path_type=Path))
@option("--json", "as_json", is_flag=True, help=N_("Print the results as JSON."))
@option("--reporter", type=click.Choice(sorted(REPORTERS)), default=None,
        help=N_("Choose a reporter by name (default text; --json is the same as --reporter json)."))
@option("--migrate", is_flag=True, help=MIGRATE_HELP)
@click.pass_context
def validate_cmd(ctx: click.Context, paths: tuple[Path, ...], as_json: bool, reporter: str | None,
                 migrate: bool) -> None:
    from formgen.pipeline import process, skipped

    results = []
    for path in paths:
        if not path.is_dir():
            results.append(process(path, registry_of(ctx), migrate=migrate))
            continue
        from formgen.batch.walk import walk  # here: only a folder is walked

        for found in walk(path):
            results.append(skipped(found.path, found.skip, found.unreadable) if found.skip
                           else process(found.path, registry_of(ctx), migrate=migrate))
    REPORTERS[reporter or ("json" if as_json else "text")](sys.stdout, results)
    if any(r.status in ("invalid", "unreadable") for r in results):
        raise Invalid("")
