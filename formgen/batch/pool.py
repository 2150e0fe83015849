"""Running :func:`formgen.batch.work.check` over many files: local worker processes, or a Dask cluster.

Locally, a small supervisor keeps one process and one pipe per worker.  Each file is checked under a wall-time
limit (the supervisor kills a worker that runs over it) and a memory limit (RLIMIT_AS in the worker); a worker
that dies or is killed is replaced and its file gets a result (FG113 too slow, FG114 read failed), so one
file never takes the batch down.  ``concurrent.futures`` cannot do this: its pool breaks for good when one
worker dies.

Each worker is given up to :data:`DEPTH` files at once, so that it starts the next file as soon as it sends a
result instead of waiting for the coordinator to store it and read another file.  Jobs are pulled from the
caller's iterator only when a worker has fewer than that, so at most DEPTH files' bytes per worker are held in
memory, whatever the number of files.  A file's time starts when its worker starts it: when the worker sent the
result of the file before it.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import resource
import signal
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Iterator

from formgen.batch import work
from formgen.i18n import N_
from formgen.issues import Code, EnvironmentProblem
from formgen.limits import WorkerLimits
from formgen.spec import Registry

Check = Callable[[bytes, str, Registry, "str | None", str], dict]

STARTED = "started"  # a new worker's word that it began its first file: that file's time starts then
STARTUP_SECONDS = 120.0  # how long a new worker may take to start
CONNECT_SECONDS = 10  # how long to wait for a Dask scheduler to answer
DEPTH = 2  # files given to one worker at once: the one it reads, and the next, which it starts without waiting


@dataclass(frozen=True)
class Job:
    """One file to check: ``key`` is the caller's handle for it (returned with the result)."""

    key: Any
    relpath: str
    data: bytes


def _serve(conn: Connection, check: Check, registry: Registry, expected: str | None, lang: str,
           memory: int) -> None:
    """A worker: for each (relpath, data) received, send back (result, whether the worker stops now), having
    said once, on its first file, that it has started; stop on None or a closed pipe."""
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    started = False
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        relpath, data = job
        try:
            if not started:
                conn.send(STARTED)
                started = True
            out = check(data, relpath, registry, expected, lang)
        except MemoryError:
            del data
            conn.send((work.failure(Code.READ_FAILED, lang, reason=N_("it ran out of memory")), True))
            return  # a process that ran out of memory is not trusted with the next file
        except Exception:  # formgen's own failure on this file: the file gets a result, the batch goes on
            out = work.failure(Code.READ_FAILED, lang, reason=N_("an unexpected error inside formgen"))
        try:
            conn.send((out, False))
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, ctx: Any, args: tuple):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, *args), daemon=True)
        # Ctrl-C is for the coordinator, which then stops the workers: a worker (and the fork server it comes
        # from) inherits the blocked signal, and the coordinator gets a Ctrl-C of this moment once it started
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self.proc.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        child.close()
        self.jobs: deque[Job] = deque()  # the files given and not answered yet, the first the one being read
        self.started = False  # whether the worker said it started: it then begins each file as it gets it
        self.deadline = 0.0  # when the first of ``jobs`` is over its time

    def give(self, job: Job, seconds: float) -> None:
        """Send the job.  When it is the only one given, its ``seconds`` start now, or, for a new worker, which
        first has to start, when it says it started; else when the worker answers the file before it."""
        self.conn.send((job.relpath, job.data))
        self.jobs.append(job)
        if len(self.jobs) == 1:
            self.deadline = time.monotonic() + (seconds if self.started else STARTUP_SECONDS)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def run_local(jobs: Iterable[Job], registry: Registry, expected_form: str | None, lang: str,
              workers: int | None = None, limits: WorkerLimits = WorkerLimits(),
              check: Check = work.check) -> Iterator[tuple[Any, dict]]:
    """Check every job in worker processes; yield ``(job.key, result)`` as each finishes (in any order).

    ``check`` is the per-file function (a test passes a deliberately slow or greedy one); it must be a
    module-level function so that it can be sent to a worker.
    """
    pending = iter(jobs)
    first = next(pending, None)
    if first is None:  # nothing to check (a re-run): no worker is started
        return
    pending = itertools.chain([first], pending)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["formgen.batch.work"])
    args = (check, registry.preload(), expected_form, lang, limits.memory)
    pool = [_Worker(ctx, args) for _ in range(max(1, workers or os.cpu_count() or 1))]
    again: deque[Job] = deque()  # files given to a worker that died before it read them: given again first
    exhausted = False

    def take() -> Job | None:
        nonlocal exhausted
        if again:
            return again.popleft()
        job = None if exhausted else next(pending, None)
        exhausted = job is None
        return job

    def replace(i: int) -> None:
        """Kill worker ``i`` (its first file answered), and give the files it had not started to the others."""
        pool[i].stop(kill=True)
        again.extendleft(reversed(pool[i].jobs))
        pool[i] = _Worker(ctx, args)

    try:
        while True:
            for depth in range(1, DEPTH + 1):  # one file to each worker before a second to any
                for i, worker in enumerate(pool):
                    if len(worker.jobs) >= depth:
                        continue
                    job = take()
                    if job is None:
                        break
                    try:
                        worker.give(job, limits.seconds)
                    except (BrokenPipeError, OSError):  # the worker had died
                        if worker.jobs:  # reading its first file: that file's result says so, below
                            again.appendleft(job)
                            continue
                        worker.stop(kill=True)  # it was idle: replace it, retry the file
                        pool[i] = worker = _Worker(ctx, args)
                        worker.give(job, limits.seconds)
            busy = [w for w in pool if w.jobs]
            if not busy:
                return
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout))
            for i, worker in enumerate(pool):
                if not worker.jobs:
                    continue
                out, stopping = None, True
                if worker.conn in ready:
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        message = None
                    if message == STARTED:
                        worker.started = True
                        worker.deadline = time.monotonic() + limits.seconds
                        continue
                    if message is not None:
                        out, stopping = message
                if out is None and (worker.conn in ready or worker.proc.sentinel in ready):
                    out = work.failure(Code.READ_FAILED, lang, reason=N_("it crashed"))
                elif out is None and time.monotonic() >= worker.deadline:
                    if worker.started:
                        out = work.failure(Code.FILE_TOO_SLOW, lang, limit=_number(limits.seconds))
                    else:
                        out = work.failure(Code.READ_FAILED, lang, reason=N_("the worker did not start"))
                    worker.proc.kill()
                if out is None:
                    continue
                job = worker.jobs.popleft()
                if stopping:
                    replace(i)
                elif worker.jobs:  # the worker started the next file when it sent this result
                    worker.deadline = time.monotonic() + limits.seconds
                yield job.key, out
    finally:
        for worker in pool:
            worker.stop(kill=bool(worker.jobs))


def connect(address: str) -> Any:
    """A client of the Dask distributed scheduler at ``address``; EnvironmentProblem when there is none."""
    try:
        from distributed import Client
    except ImportError:
        raise EnvironmentProblem(N_("--scheduler needs Dask: install formgen with its extra, pip install 'formgen[dask]'."))
    try:
        return Client(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise EnvironmentProblem(N_("No Dask scheduler answers at {address} ({reason}). Start one, or leave out "
                                    "--scheduler to check the files on this machine."),
                                 address=address, reason=type(exc).__name__) from None


def run_dask(jobs: Iterable[Job], client: Any, registry: Registry, expected_form: str | None, lang: str,
             check: Check = work.check) -> Iterator[tuple[Any, dict]]:
    """Check every job on the Dask cluster of ``client`` (see :func:`connect`); yield ``(job.key, result)``.

    The definitions travel with the work (the registry is sent to every worker once), so the cluster's
    machines need no forms folder.  Limits are the cluster's own (its workers' memory limits); a task whose
    worker died or that raised gets FG114.
    """
    from distributed import as_completed

    window = 4 * max(1, sum(client.nthreads().values()))
    shared = client.scatter(registry.preload(), broadcast=True)
    running = as_completed()
    keys: dict[str, Any] = {}
    pending = iter(jobs)

    def submit(count: int) -> None:
        for _ in range(count):
            job = next(pending, None)
            if job is None:
                return
            future = client.submit(check, job.data, job.relpath, shared, expected_form, lang, pure=False, retries=0)
            keys[future.key] = job.key
            running.add(future)

    submit(window)
    for future in running:
        try:
            out = future.result()
        except Exception:  # the worker died (KilledWorker) or formgen failed on the file: it gets a result
            out = work.failure(Code.READ_FAILED, lang, reason=N_("it crashed"))
        yield keys.pop(future.key), out
        future.release()
        submit(1)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
