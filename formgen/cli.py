"""The formgen command line: a thin shell over the library (DESIGN.md section 3).

The root command and its options are here; each command lives in a module of ``formgen.commands``, loaded
only when it runs (``formgen.commands.COMMANDS`` lists them), so that starting formgen costs little more than
starting click.

Exit codes: 0 all good, 1 some file invalid or unreadable, 2 usage or definition error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from formgen import __version__
from formgen.cli_support import (FilePath, FormgenGroup, I18nOption, Language, Unexpected, debugging, option,
                                 resolve_language)
from formgen.commands import COMMANDS
from formgen.i18n import N_, set_language


@click.group(cls=FormgenGroup, listed=COMMANDS, help=N_(
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
