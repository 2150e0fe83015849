"""click's own messages (usage errors, help headings) in formgen's catalogues and language.

click translates its messages with the standard library's ``gettext.gettext``, bound as ``_`` (and
``ngettext``) in each of its modules; that function follows the process locale and a global text
domain, not the language chosen with ``--lang``.  :func:`install` points those names at formgen's
catalogues, so click's words follow ``set_language`` like every other message.  The message ids
below are click's own (click 8.x), listed here so that ``make i18n-extract`` keeps them in the
catalogues; a test checks each has a Chinese translation.
"""

from __future__ import annotations

import importlib

from formgen.i18n import N_, gettext, ngettext


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with a plural form for extraction (``pybabel extract -k N_plural:1,2``)."""
    return singular, plural


MESSAGES = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Positional arguments"),
    N_("Show this message and exit."), N_("Show the version and exit."), N_("%(prog)s, version %(version)s"),
    N_("Error: {message}"), N_("Try '{command} {option}' for help."), N_("Aborted!"),
    N_("No such option {name!r}."), N_("No such command {name!r}."), N_("Missing command."),
    N_("Missing argument"), N_("Missing option"), N_("Missing parameter"), N_("Missing {param_type}"),
    N_("Missing parameter: {param_name}"),
    N_("Invalid value for {param_hint}: {message}"), N_("Invalid value: {message}"),
    N_("Option {name!r} does not take a value."), N_("Argument {name!r} takes {nargs} values."),
    N_("file"), N_("directory"), N_("path"),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."), N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."), N_("Could not open file {filename!r}: {message}"),
    N_("unknown error"), N_("default: {default}"), N_("required"),
)

PLURAL_MESSAGES = (
    N_plural("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    N_plural("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    N_plural("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    N_plural("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
)

_CLICK_MODULES = ("core", "exceptions", "types", "parser", "formatting", "decorators", "termui", "utils")


def _gettext(message: str) -> str:
    return gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return ngettext(singular, plural, n)


def install() -> None:
    """Route click's ``_`` and ``ngettext`` to formgen's catalogues in the current language."""
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext
