"""A second process for the pipeline's independent halves (2 cores: twice the hands).

tables.py (SQLAlchemy + sqlacodegen: 0.7 s of imports, then the heaviest render) is made
in a worker process while the main one reads the database and renders the models. The
worker starts first and imports while the database is read.

The worker is `python -m codegen.worker MODULE`: jobs and results travel as pickles over
its stdin and stdout. (multiprocessing's spawn would re-import the caller's main script in
the worker, which breaks any unguarded script that builds a package.)
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any

from codegen.errors import CodegenError
from codegen.signals import Stopped, stop_on_signals


class WorkerFailed(CodegenError):
    """The worker process died before it answered (its stderr above says why)."""


def _user_error(exc: Exception) -> CodegenError:
    """A library's exception as one line for the user (its traceback, the cause, under --debug)."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return WorkerFailed(f"the codegen worker failed: {type(exc).__name__}: {first}")


class Job:
    """A job sent to the worker; result() waits for it and returns or re-raises."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker

    def result(self) -> Any:
        return self._worker._receive()


class Worker:
    def __init__(self, preload: str) -> None:
        # -O whatever this process runs with: typeguard (which inflect, sqlacodegen's dependency,
        # imports) checks every call's types unless optimizing, and doubles the worker's time.
        self._proc = subprocess.Popen(
            [sys.executable, "-O", "-m", "codegen.worker", preload], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._sender: threading.Thread | None = None

    def submit(self, module: str, name: str, *args: Any) -> Job:
        """Run module.name(*args) in the worker. One job at a time: take its result() first."""
        stdin = self._proc.stdin
        assert stdin is not None
        data = pickle.dumps((module, name, args), protocol=pickle.HIGHEST_PROTOCOL)

        def send() -> None:  # a thread: the pipe blocks until the worker, still importing, reads
            try:
                stdin.write(data)
                stdin.flush()
            except BrokenPipeError:
                pass  # the worker died: _receive() reports it

        self._sender = threading.Thread(target=send, daemon=True)
        self._sender.start()
        return Job(self)

    def _receive(self) -> Any:
        assert self._proc.stdout is not None
        try:
            ok, value, where = pickle.load(self._proc.stdout)
        except EOFError:
            raise WorkerFailed(f"the codegen worker process exited with code {self._proc.wait()}") from None
        if not ok:
            value.add_note(where)  # the worker's traceback, which --debug shows
            if isinstance(value, CodegenError):
                raise value
            raise _user_error(value) from value
        return value

    def close(self) -> None:
        """Let the worker finish and exit; an error if it failed."""
        assert self._proc.stdin is not None
        if self._sender is not None:
            self._sender.join()
        self._proc.stdin.close()
        if self._proc.wait() != 0:
            raise WorkerFailed(f"the codegen worker process exited with code {self._proc.returncode}")

    def kill(self) -> None:
        """Stop the worker now: the caller failed, and a result nobody reads would block it.

        SIGTERM first, which the worker turns into SystemExit so that its temporary folders
        are removed on the way out; SIGKILL only if it does not end within seconds."""
        self._proc.terminate()
        try:
            self._proc.wait(_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                # stdin may still hold a job for the killed worker: closing flushes it into a broken pipe.
                with suppress(BrokenPipeError):
                    pipe.close()


class InProcess:
    """The same interface, run in this process (the serial path): a job runs when its result
    is asked for, so that it still follows the caller's own work."""

    def submit(self, module: str, name: str, *args: Any) -> _Deferred:
        return _Deferred(lambda: getattr(importlib.import_module(module), name)(*args))


class _Deferred:
    def __init__(self, call: Any) -> None:
        self._call = call

    def result(self) -> Any:
        try:
            return self._call()
        except CodegenError:
            raise
        except Exception as exc:
            raise _user_error(exc) from exc


_STOP_SECONDS = 10
_prestarted: dict[str, Worker] = {}


def parallel() -> bool:
    """Whether a second process helps: not with one CPU to run on (taskset, a container's quota
    of one), where it only adds a second interpreter's start; CODEGEN_WORKERS=0 or 1 decides."""
    chosen = os.environ.get("CODEGEN_WORKERS", "")
    if chosen in ("0", "1"):
        return chosen == "1"
    return len(os.sched_getaffinity(0)) > 1 if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1) > 1


def prestart(preload: str) -> None:
    """Start a worker for `preload` now, for the next worker(preload) to take: the CLI does
    this first thing, so that the worker's imports overlap its own."""
    if preload not in _prestarted and parallel():
        _prestarted[preload] = Worker(preload)


@contextmanager
def worker(preload: str) -> Iterator[Worker | InProcess]:
    """A worker process that imports `preload` at once (and runs its `warm()`); stopped on
    exit. In-process instead when a second process does not help (parallel())."""
    w = _prestarted.pop(preload, None) or (Worker(preload) if parallel() else None)
    if w is None:
        yield InProcess()
        return
    try:
        yield w
    except BaseException:
        w.kill()
        raise
    w.close()


def _serve(preload: str, jobs: IO[bytes], results: IO[bytes]) -> None:
    preloaded = importlib.import_module(preload)
    getattr(preloaded, "warm", lambda: None)()  # the module's own warm-up, before the first job arrives
    while True:
        try:
            module, name, args = pickle.load(jobs)
        except EOFError:
            results.close()
            os._exit(0)  # done: skip the interpreter's teardown of SQLAlchemy (0.2 s)
        try:
            answer: tuple[bool, Any, str] = (True, getattr(importlib.import_module(module), name)(*args), "")
        except Exception as exc:
            answer = (False, exc, f"in the codegen worker process:\n{traceback.format_exc()}")
        # What the job printed sits in sys.stdout's buffer (fd 1 is stderr here): out before the
        # answer, since os._exit() above would drop it.
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that does not pickle still reaches the caller
            data = pickle.dumps((False, CodegenError(f"codegen worker: {answer[1]!r}"), answer[2]))
        results.write(data)
        results.flush()


if __name__ == "__main__":
    stop_on_signals()
    # Results go out on the original stdout; fd 1 now points at stderr, so that whatever a
    # library prints in a job shows there instead of corrupting the results.
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        _serve(sys.argv[1], sys.stdin.buffer, results)
    except Stopped as stop:  # the caller stopped us: the folders are gone, say nothing
        os._exit(128 + stop.signum)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the caller reports it
        os._exit(130)
