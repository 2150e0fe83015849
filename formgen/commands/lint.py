"""`formgen lint`: check form definitions, their migrations and Word templates."""

from __future__ import annotations

from pathlib import Path

import click

from formgen.cli_support import CliError, FilePath, registry_of
from formgen.commands import command
from formgen.i18n import gettext as _
from formgen.issues import Code, FormgenError, Issue


@command("lint")
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
        folders = registry_of(ctx).folders
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
        installed = registry_of(ctx).versions()
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
