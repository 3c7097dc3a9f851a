"""codegen/worker.py: the second process that makes tables.py beside the models."""

from __future__ import annotations

import pytest

from codegen.errors import UnsupportedSchema
from codegen.paths import ROOT
from codegen.worker import InProcess, WorkerFailed, parallel, worker


def test_a_job_returns_its_value_and_a_failure_comes_back_as_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the worker imports tests.worker_jobs
    monkeypatch.setenv("CODEGEN_WORKERS", "1")  # a process, even on one CPU
    with worker("json") as w:
        assert w.submit("json", "dumps", {"a": [1, None]}).result() == '{"a": [1, null]}'
        with pytest.raises(WorkerFailed) as info:
            w.submit("json", "loads", "not json").result()
        # One line for the user; the library's own exception and the worker's traceback under --debug.
        assert (
            str(info.value) == "the codegen worker failed: JSONDecodeError: Expecting value: line 1 column 1 (char 0)"
        )
        cause = info.value.__cause__
        assert isinstance(cause, ValueError)
        assert "in the codegen worker process:\nTraceback" in cause.__notes__[0]
        with pytest.raises(UnsupportedSchema, match=r"^a user error"):  # the package's own errors pass as they are
            w.submit("tests.worker_jobs", "refuse", "a user error").result()
        assert w.submit("math", "hypot", 3, 4).result() == 5.0  # the worker lives on after a failure


def test_what_a_job_prints_cannot_corrupt_its_result(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """And it reaches stderr: without PYTHONUNBUFFERED (a login shell's default) print() is buffered."""
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    monkeypatch.setenv("CODEGEN_WORKERS", "1")
    with worker("builtins") as w:
        assert w.submit("builtins", "print", "stray output").result() is None
    assert "stray output" in capfd.readouterr().err


def test_a_caller_that_fails_while_a_large_result_is_pending_does_not_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    """The result (1 MB, beyond a pipe's buffer) is never read: leaving the block kills the worker."""
    monkeypatch.setenv("CODEGEN_WORKERS", "1")
    with pytest.raises(RuntimeError, match="the caller failed"), worker("json") as w:
        w.submit("json", "dumps", "x" * 1_000_000)
        raise RuntimeError("the caller failed")


def test_the_serial_path_gives_the_same_answers_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """CODEGEN_WORKERS=0 (and one CPU, where a second process only adds its start): no process,
    the same results, and a library's failure is the same one line."""
    monkeypatch.setenv("CODEGEN_WORKERS", "0")
    assert not parallel()
    with worker("json") as w:
        assert isinstance(w, InProcess)
        assert w.submit("json", "dumps", {"a": [1, None]}).result() == '{"a": [1, null]}'
        with pytest.raises(WorkerFailed) as info:
            w.submit("json", "loads", "not json").result()
        assert (
            str(info.value) == "the codegen worker failed: JSONDecodeError: Expecting value: line 1 column 1 (char 0)"
        )
    monkeypatch.setenv("CODEGEN_WORKERS", "1")
    assert parallel()
