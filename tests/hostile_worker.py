"""Check files one at a time, each in a forked child with an address-space limit and a wall-time limit:
``python -m tests.hostile_worker FORMS FILE...`` prints one JSON line per file.

A line says how the child ended (``result``, ``crash`` or ``timeout``), its wall time, its peak resident
memory, what it wrote on stderr, and for a result the file's status, issue codes and text report. The child
runs formgen's own `process` and text reporter, so a regression that hangs or blows up shows as a timeout
or a crash instead of a slow test.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import sys
import tempfile
import time

MEMORY = 500 << 20
SECONDS = 10.0


def _child(path: str, registry, out_fd: int) -> None:
    from formgen.pipeline import process
    from formgen.report import REPORTERS  # imported by main before the fork: nothing is loaded here

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    result = process(path, registry)
    text = io.StringIO()
    REPORTERS["text"](text, [result])
    line = json.dumps({"status": result.status, "codes": [i.code.id for i in result.issues],
                       "json": result.to_dict("zh_CN"), "text": text.getvalue()}, ensure_ascii=False)
    os.write(out_fd, line.encode("utf-8"))


def check(path: str, registry) -> dict:
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as err:
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller
            code = 0
            try:
                os.close(read_fd)
                os.dup2(err.fileno(), 2)
                _child(path, registry, write_fd)
            except BaseException:  # an exception escaping formgen is what this test exists to catch
                import traceback
                traceback.print_exc()
                code = 70
            finally:
                os._exit(code)
        os.close(write_fd)
        status = timeout = None
        while time.monotonic() - start < SECONDS:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.005)
        else:
            os.kill(pid, signal.SIGKILL)
            _done, status, usage = os.wait4(pid, 0)
            timeout = True
        seconds = time.monotonic() - start
        with os.fdopen(read_fd, "rb") as pipe:
            output = pipe.read().decode("utf-8")
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    line = {"file": path, "seconds": round(seconds, 3), "peak_mib": round(usage.ru_maxrss / 1024, 1),
            "stderr": stderr}
    if timeout:
        line["end"] = "timeout"
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and output:
        line.update(end="result", **json.loads(output))
    else:
        line["end"] = "crash"
    return line


def main(argv: list[str]) -> None:
    import formgen.pipeline  # noqa: F401  (loaded once, before the children fork)
    import formgen.report  # noqa: F401
    from formgen.spec import Registry

    registry = Registry(argv[0])
    for spec in registry.versions():  # load every definition before forking, as a batch worker would
        spec.fields()
    for path in argv[1:]:
        print(json.dumps(check(path, registry), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
