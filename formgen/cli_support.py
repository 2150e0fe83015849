"""What every formgen command shares: the language, help translated when shown, options placed where
people put them, formats and forms found by the names people use, outputs written or one clear message.

``formgen/cli.py`` holds the root command and ``formgen/commands/`` the commands; this module holds the logic
they share, so a new command (``batch``) uses the same pieces.
"""

from __future__ import annotations

import errno
import os
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple, Sequence

import click

from formgen.i18n import DEFAULT_LANG, N_, gettext, language_of, set_language, system_language
from formgen.i18n import gettext as _
from formgen.i18n.click_messages import install as install_click_messages
from formgen.lazy import load

if TYPE_CHECKING:  # the definitions, the issues and their libraries are loaded by the commands that need them
    from formgen.issues import FormgenError
    from formgen.spec import Registry
    from formgen.spec.model import FormSpec

install_click_messages()

#: Options of the whole program that people also type after the subcommand; moved in front of it.
GLOBAL_OPTIONS = ("--lang", "--forms")


# -- the language ----------------------------------------------------------------------------------

def hoist_global_options(args: Sequence[str]) -> list[str]:
    """``formgen validate --lang en x.xlsx`` is ``formgen --lang en validate x.xlsx``: every global option
    (with its value) is moved to the front, in the order given; ``--`` ends the options."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in GLOBAL_OPTIONS and i + 1 < len(args):
            front.extend(args[i:i + 2])
            i += 2
            continue
        if arg.startswith(tuple(f"{name}=" for name in GLOBAL_OPTIONS)):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def requested_language(args: Sequence[str]) -> str | None:
    """The value of the last ``--lang`` in (hoisted) ``args``, as typed."""
    found = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--lang="):
            found = arg.partition("=")[2]
    return found


def resolve_language(option: str | None, environ: Mapping[str, str]) -> str:
    """``--lang``, else ``$FORMGEN_LANG``, else the system locale, else Chinese.  An unknown ``--lang`` or
    ``$FORMGEN_LANG`` is a usage error; a locale formgen does not speak (``C.UTF-8``) means Chinese."""
    if option is not None:
        return option
    if environ.get("FORMGEN_LANG"):
        lang = language_of(environ["FORMGEN_LANG"])
        if lang is None:
            raise click.UsageError(_("FORMGEN_LANG={value} is not a language formgen speaks. "
                                     "Use zh (中文) or en (English).").format(value=environ["FORMGEN_LANG"]))
        return lang
    return system_language(environ) or DEFAULT_LANG


class Language(click.ParamType):
    """``zh``, ``zh_CN``, ``zh-CN``, ``中文``, ``en``, ``en_US``, ``English``…: the catalogue language."""

    name = "lang"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        lang = language_of(str(value))
        if lang is None:
            self.fail(_("'{value}' is not a language formgen speaks. Use zh (中文) or en (English).").format(
                value=value), param, ctx)
        return lang

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[zh|en]"


# -- help in the reader's language -------------------------------------------------------------------

class _Translated:
    """An attribute holding a message id (marked with N_), translated each time it is read (help is shown)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        text = getattr(obj, self.slot, None)
        return gettext(text) if text else text

    def __set__(self, obj: Any, value: str | None) -> None:
        setattr(obj, self.slot, value)


class I18nOption(click.Option):
    """An option whose help is a message id, translated each time help is shown."""

    help = _Translated()


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes: a Chinese (wide or full-width) character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_BRACKETS = {"（": 1, "(": 1, "）": -1, ")": -1}


def first_clause(text: str) -> str:
    """A help text up to its first 。；： (or ``. ``, ``; ``, ``: ``) outside brackets: what a command does."""
    depth = 0
    for i, char in enumerate(text):
        depth += _BRACKETS.get(char, 0)
        if depth == 0 and (char in "。；：" or char in ".;:" and text[i + 1:i + 2] in ("", " ")):
            return text[:i]
    return text


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` terminal columns, with … where it was cut."""
    if columns(text) <= limit:
        return text
    kept, width = [], 1
    for char in text:
        width += columns(char)
        if width > limit:
            break
        kept.append(char)
    return "".join(kept).rstrip(" ，、,") + "…"


class I18nCommand(click.Command):
    """A command whose help is a message id, translated each time help is shown."""

    help = _Translated()
    short_help = _Translated()

    def get_short_help_str(self, limit: int = 45) -> str:
        """The help's first clause, cut to ``limit`` columns: click's own shortening breaks only at spaces and
        counts characters, which leaves a Chinese summary as "..." or twice as wide as the screen."""
        return fit(self.short_help or first_clause(self.help or ""), limit)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:  # click makes it once, in the language of the first use: say it again now
            option.help = _("Show this message and exit.")
        return option


class Listed(NamedTuple):
    """A command a group lists before it is imported: ``"module:attr"`` of the click command, and its help (a
    message id), which the command takes from here too."""

    target: str
    help: str


class LazyGroup(I18nCommand, click.Group):
    """A group whose commands are imported when one is run or asked for its help; ``--help`` of the group
    lists them all, with their short help, from ``listed`` ({name: Listed}) without importing any."""

    command_class = I18nCommand

    def __init__(self, *args: Any, listed: Mapping[str, Listed] | None = None, **attrs: Any):
        super().__init__(*args, **attrs)
        self.listed = dict(listed or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.listed})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.listed:
            self.add_command(load(self.listed[cmd_name].target), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                           list[str]]:
        if args and self.get_command(ctx, args[0]) is None:  # a mistyped name: click suggests from every command
            for name in self.listed:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, with a command not imported yet shortened from its listed help."""
        shown = [(name, self.commands.get(name) or I18nCommand(name, help=self.listed[name].help))
                 for name in self.list_commands(ctx)]
        shown = [(name, cmd) for name, cmd in shown if not cmd.hidden]
        if shown:
            limit = formatter.width - 6 - max(len(name) for name, _cmd in shown)
            with formatter.section(_("Commands")):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in shown])


class FormgenGroup(LazyGroup):
    """The ``formgen`` group: global options anywhere on the line, the language set before click speaks,
    and no traceback from a command (an unexpected error is one message, exit 2)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = hoist_global_options(args)
        typed = requested_language(args)
        try:
            set_language(resolve_language(language_of(typed), os.environ))
        except click.UsageError:
            set_language(DEFAULT_LANG)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if debugging():
                raise
            raise Unexpected(exc) from None


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


def registry_of(ctx: click.Context) -> Registry:
    """The forms of this run (the installed ones, ``$FORMGEN_FORMS`` and ``--forms``)."""
    return ctx.obj["registry"]


def debugging() -> bool:
    """``FORMGEN_DEBUG=1``: let an unexpected error show its traceback, for the people who fix formgen."""
    return os.environ.get("FORMGEN_DEBUG", "") not in ("", "0")


class Unexpected(click.ClickException):
    """An error inside formgen: one message without the exception's text (it may quote personal data)."""

    exit_code = 2

    def __init__(self, exc: BaseException):
        super().__init__(type(exc).__name__)
        self.kind = type(exc).__name__

    def show(self, file=None) -> None:
        click.echo(_("Error: {message}").format(message=_(
            "formgen stopped because of an unexpected problem inside formgen ({kind}). Your files were not "
            "changed. Please tell the people who look after formgen the command you ran.").format(kind=self.kind)),
            err=True)


def option(*decls: str, **attrs: Any):
    """``click.option`` with help translated when shown."""
    return click.option(*decls, cls=I18nOption, **attrs)


class FilePath(click.Path):
    """``click.Path`` whose words (file, folder) follow the language chosen when the message is shown."""

    def __init__(self, **attrs: Any):
        super().__init__(**attrs)
        if self.file_okay and not self.dir_okay:
            self.name = N_("file")
        elif self.dir_okay and not self.file_okay:
            self.name = N_("directory")
        else:
            self.name = N_("path")

    @property
    def name(self) -> str:
        return _(self._name)

    @name.setter
    def name(self, value: str) -> None:
        self._name = value


# -- formats ---------------------------------------------------------------------------------------

#: Names people use for a format, lower-case.
FORMAT_NAMES = {"xlsx": "xlsx", "excel": "xlsx", "docx": "docx", "word": "docx", "pdf": "pdf"}
EXTENSIONS = {"xlsx": ".xlsx", "docx": ".docx", "pdf": ".pdf"}
FORMAT_WORDS = {"xlsx": N_("an Excel file (.xlsx)"), "docx": N_("a Word file (.docx)"), "pdf": N_("a PDF file (.pdf)")}


class Format(click.ParamType):
    """``xlsx``, ``docx``, ``pdf`` in any case, or ``excel`` / ``word``."""

    name = "format"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        fmt = FORMAT_NAMES.get(str(value).strip().lower())
        if fmt is None:
            self.fail(_("'{value}' is not a format formgen writes. Use xlsx (Excel), docx (Word) or pdf.").format(
                value=value), param, ctx)
        return fmt

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[xlsx|docx|pdf]"


def format_of_extension(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return next((fmt for fmt, ext in EXTENSIONS.items() if ext == suffix), None)


def resolve_format(fmt: str | None, out: Path) -> str:
    """The format to write ``out`` in: ``--format`` when given (it must agree with a known extension), else
    the extension's."""
    by_extension = format_of_extension(out)
    if fmt is None:
        if by_extension is None:
            raise click.UsageError(_("Cannot tell the format from the file name {file}. End the name with .xlsx, "
                                     ".docx or .pdf, or give --format.").format(file=out))
        return by_extension
    if by_extension is not None and by_extension != fmt:
        raise click.UsageError(_("--format {format} writes {what}, but the file name {file} ends in {suffix}. "
                                 "Name the file {suggestion}, or leave out --format.").format(
            format=fmt, what=_(FORMAT_WORDS[fmt]), file=out, suffix=out.suffix,
            suggestion=out.with_suffix(EXTENSIONS[fmt]).name))
    return fmt


# -- forms by the names people use ---------------------------------------------------------------

def resolve_form(registry: Registry, name: str) -> FormSpec:
    """A form by its id, its title (Chinese or English), a unique beginning of either, or else a unique part
    of either (``家校告知书``); otherwise a usage error naming the closest forms ("did you mean")."""
    import difflib

    from formgen.issues import FormgenError

    try:
        return registry.get(name)
    except FormgenError:
        if registry.defines(name):  # the form is there but broken or defined twice: say so, do not guess
            raise
    specs = registry.all()
    wanted = name.strip().casefold()

    def names(spec: FormSpec) -> list[str]:
        return [n for n in (spec.id, spec.title, spec.ann.get("title_en", "")) if n]

    for match in (lambda n: n.casefold() == wanted, lambda n: n.casefold().startswith(wanted),
                  lambda n: wanted in n.casefold()):
        found = [s for s in specs if any(match(n) for n in names(s))] if wanted else []
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise click.UsageError(_("'{name}' could be any of these forms: {forms}. Type more of the name.").format(
                name=name, forms=", ".join(f"{s.id}（{s.title}）" for s in found)))
    by_name = {n.casefold(): s for s in specs for n in names(s)}
    close = {by_name[c].id for c in difflib.get_close_matches(wanted, list(by_name), n=3, cutoff=0.5)}
    if close:
        raise click.UsageError(_("There is no form '{name}'. Did you mean {forms}? Run `formgen forms` to list the "
                                 "installed forms.").format(
            name=name, forms=", ".join(f"{s.id}（{s.title}）" for s in specs if s.id in close)))
    raise click.UsageError(_("There is no form '{name}'. Run `formgen forms` to list the installed forms.").format(
        name=name))


def resolve_version(registry: Registry, spec: FormSpec, version: str | None) -> FormSpec:
    """``spec`` (the newest version of its form) or, with ``--version``, that installed version of the form;
    a version not installed is an error naming the installed ones."""
    if version is None or version == spec.version:
        return spec
    found = registry.find(spec.id, version)
    if found is None:
        raise click.UsageError(_("Form '{form}' has no installed version {version}. The installed versions are: "
                                 "{versions}.").format(form=spec.id, version=version, versions=", ".join(
                                     s.version for s in registry.versions(spec.id))))
    return found


# -- writing outputs ---------------------------------------------------------------------------------

class OutputError(click.ClickException):
    """An output could not be written: which file, why in words a clerk knows, and what to do."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(_("Error: {message}").format(message=self.format_message()), err=True)


def check_output(out: Path) -> None:
    """Before any work: ``out`` must name a file in a folder that exists."""
    if out.is_dir():
        raise OutputError(_("{file} is a folder. Give a file name, for example {example}.").format(
            file=out, example=out / f"表单{out.suffix or '.xlsx'}"))
    if not out.parent.is_dir():
        raise OutputError(_("The folder {folder} does not exist, so {file} cannot be written. Create the folder "
                            "first, or check the path.").format(folder=out.parent, file=out))


def write_output(out: Path, write: Callable[[], None]) -> None:
    """Run ``write`` (which writes ``out`` atomically); an OS error becomes an OutputError naming ``out``."""
    check_output(out)
    try:
        write()
    except OSError as exc:
        raise OutputError(output_problem(out, exc)) from None


def output_problem(out: Path, exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _("The disk is full: {file} was not written. Free some space, or write to another disk "
                 "with -o.").format(file=out)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ETXTBSY, errno.EBUSY):
        return _("{file} cannot be written: it is open in another program (Excel, WPS, a PDF viewer) or the "
                 "folder is read-only. Close the file and run the command again, or write to another folder "
                 "with -o.").format(file=out)
    if exc.errno == errno.ENOENT:
        return _("The folder {folder} does not exist, so {file} cannot be written. Create the folder first, "
                 "or check the path.").format(folder=out.parent, file=out)
    return _("{file} cannot be written ({reason}). Write to another file or folder with -o.").format(
        file=out, reason=exc.strerror or type(exc).__name__)
