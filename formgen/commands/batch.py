"""`formgen batch`: check a folder of returned files and write what a bureau sends back."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import click

from formgen.cli_support import CliError, FilePath, option, registry_of
from formgen.commands import command
from formgen.i18n import N_
from formgen.i18n import gettext as _
from formgen.issues import EnvironmentProblem, FormgenError
from formgen.limits import WorkerLimits


@command("batch")
@click.argument("folder", type=FilePath(file_okay=False, exists=True, path_type=Path))
@option("-o", "--output", "outdir", type=FilePath(file_okay=False, path_type=Path), required=True,
        help=N_("The folder for results.jsonl, report.xlsx, 退回/, 催报名单.csv, 汇总/ and the ledger."))
@option("--roster", type=FilePath(dir_okay=False, exists=True, path_type=Path),
        help=N_("Who must return what: a CSV or xlsx of unit code, name, contact and forms."))
@option("--form", "form_id", help=N_("The form expected; a file of another form is reported (FG110)."))
@option("--jobs", type=click.IntRange(min=1), help=N_("Worker processes (default: the number of cores)."))
@option("--db", type=FilePath(dir_okay=False, path_type=Path),
        help=N_("The ledger database (default: OUTDIR/ledger.sqlite)."))
@option("--scheduler", metavar="ADDRESS", help=N_("Check the files on this Dask distributed cluster."))
@option("--received-from", type=click.Choice(["ledger", "mtime"]), default="ledger", show_default=True,
        help=N_("Received time: when the ledger first saw a file, or the file's modification time."))
@option("--deadline", "deadlines", multiple=True, metavar="[FORM=]DATE",
        help=N_("Override a form's date deadline (YYYY-MM-DD or YYYY-MM-DDTHH:MM, China time); repeatable."))
@option("--issuer", default="", help=N_("The bureau's name, signing the 退回修改通知."))
@option("--reveal-pii", is_flag=True, help=N_("Show personal data unmasked in the consolidated tables."))
@option("--suppress-below", type=click.IntRange(min=0), default=0, show_default=True,
        help=N_("In the consolidated statistics, write a count above 0 and below N as <N and the totals as "
                "numbers (0: no suppression)."))
@option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=WorkerLimits.seconds,
        show_default=True, help=N_("Seconds one file may take."))
@option("--memory-limit", type=click.IntRange(min=64), default=WorkerLimits.memory >> 20, show_default=True,
        help=N_("MiB of memory a worker may use."))
@option("--size-limit", type=click.IntRange(min=1), default=WorkerLimits.size >> 20, show_default=True,
        help=N_("MiB: larger files are not read."))
@click.pass_context
def batch(ctx: click.Context, folder: Path, outdir: Path, roster: Path | None, form_id: str | None,
          jobs: int | None, db: Path | None, scheduler: str | None, received_from: str, deadlines: tuple[str, ...],
          issuer: str, reveal_pii: bool, suppress_below: int, time_limit: float, memory_limit: int, size_limit: int) -> None:
    lang = ctx.obj["lang"]
    try:
        from formgen.batch import Settings, run_batch
        from formgen.batch.deadlines import parse_deadline

        settings = Settings(jobs=jobs, scheduler=scheduler, received_from=received_from,
                            limits=WorkerLimits(time_limit, memory_limit << 20, size_limit << 20),
                            deadlines=dict(parse_deadline(text) for text in deadlines))
        with _batch_progress() as progress:
            summary = run_batch(folder, outdir, registry_of(ctx), roster=roster, form=form_id, db=db,
                                settings=settings, issuer=issuer, reveal_pii=reveal_pii,
                                suppress_below=suppress_below, lang=lang, progress=progress)
    except FormgenError as err:
        raise CliError(err) from None
    except OSError as exc:
        raise CliError(EnvironmentProblem(N_("Cannot write {file} ({reason}). Choose another folder with -o."),
                                          file=str(exc.filename or outdir),
                                          reason=exc.strerror or type(exc).__name__)) from None
    click.echo(summary.text(lang))
    ctx.exit(summary.exit_code)


@contextlib.contextmanager
def _batch_progress() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr (files done, files/s, ETA) when stderr is a terminal, else nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    bars: list = []
    started = time.monotonic()

    def show(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=total, file=sys.stderr, show_eta=True, show_pos=True,
                                          item_show_func=lambda _: _rate(started, bars[0].pos)))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        yield show
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


def _rate(started: float, done: int) -> str:
    seconds = time.monotonic() - started
    return _("{rate:.1f} files/s").format(rate=done / seconds) if seconds > 0 else ""
