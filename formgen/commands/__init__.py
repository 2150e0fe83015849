"""The formgen commands: which module defines each, and its help.

A command's module, and what it imports, is loaded only when the command runs or shows its own help;
``formgen --help`` lists every command from this table alone, so the help of each lives here and its module
takes it from here (:func:`command`).
"""

from __future__ import annotations

from typing import Any, Callable

import click

from formgen.cli_support import I18nCommand, Listed
from formgen.i18n import N_

#: Every command of ``formgen``, by name.
COMMANDS: dict[str, Listed] = {
    "author": Listed("formgen.author.cli:author", N_(
        "Write forms in a workbook (the XLSForm convention): export a definition, import a workbook or an "
        "XLSForm, make a blank template, lint.")),
    "batch": Listed("formgen.commands.batch:batch", N_(
        "Check a folder of returned files: results, report, return notices, reminders, consolidated tables.")),
    "diff": Listed("formgen.author.cli:diff_cmd", N_(
        "Say what changed between two versions of a form (definitions or authoring workbooks).")),
    "extract": Listed("formgen.commands.read:extract", N_(
        'Print a returned file\'s data as JSON: {"form", "version", "data"}, in the version the file was made '
        'from (with --migrate: in the newest, and "migrated_from").')),
    "forms": Listed("formgen.commands.forms:forms_cmd", N_(
        "List the installed forms, every version: the newest (generated unless --version says otherwise) "
        "first, then the earlier ones, whose returns are still read.")),
    "generate": Listed("formgen.commands.generate:generate", N_(
        "Write a blank form, or one pre-filled from --data; with --roster, one per unit. FORM is the form's "
        "id, its title or the beginning of either; the format follows the extension of -o (.xlsx, .docx, "
        ".pdf) unless --format is given.")),
    "lint": Listed("formgen.commands.lint:lint", N_(
        "Check form definition files, their migrations against the versions they migrate from (installed, or "
        "among the files given), and Word templates (.docx); exit 2 on any error. A definition's stored Word "
        "template is checked with it. Without FILES: every form in the forms folders (--forms DIR included) "
        "and their versions/ subfolders, the Word templates in templates/ and any Word templates in those "
        "folders.")),
    "preview": Listed("formgen.commands.generate:preview", N_(
        "Look at a form before publishing it: write it into the folder -o in every format (or those of "
        "--format), blank or pre-filled from --data, with a PNG image of every page (ID-FORMAT-N.png). Excel "
        "and Word files are printed to pages by LibreOffice, as an office program prints them; PDF pages are "
        "drawn by pdftoppm.")),
    "validate": Listed("formgen.commands.read:validate_cmd", N_(
        "Validate returned files, and every file in the folders given: per file, valid or not, and each issue"
        " with code, field and message. Lock and system files in a folder are listed as skipped; a path that "
        "is missing or cannot be read is a result of its own.")),
}


def command(name: str, **attrs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """``click.command`` for the command ``name`` of the table, with the table's help, translated when shown
    (``cls`` may name a group's class)."""
    return click.command(name, cls=attrs.pop("cls", I18nCommand), help=COMMANDS[name].help, **attrs)
