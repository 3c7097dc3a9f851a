"""codegen/worker.py: the second process that makes tables.py beside the models."""

from __future__ import annotations

import pytest

from codegen.worker import worker


def test_a_job_returns_its_value_and_a_failure_comes_back_as_the_same_exception() -> None:
    with worker("json") as w:
        assert w.submit("json", "dumps", {"a": [1, None]}).result() == '{"a": [1, null]}'
        with pytest.raises(ValueError, match="Expecting value") as info:
            w.submit("json", "loads", "not json").result()
        assert "in the codegen worker process:\nTraceback" in info.value.__notes__[0]  # shown by --debug
        assert w.submit("math", "hypot", 3, 4).result() == 5.0  # the worker lives on after a failure


def test_what_a_job_prints_cannot_corrupt_its_result(capfd: pytest.CaptureFixture[str]) -> None:
    with worker("builtins") as w:
        assert w.submit("builtins", "print", "stray output").result() is None
    assert "stray output" in capfd.readouterr().err


def test_a_caller_that_fails_while_a_large_result_is_pending_does_not_hang() -> None:
    """The result (1 MB, beyond a pipe's buffer) is never read: leaving the block kills the worker."""
    with pytest.raises(RuntimeError, match="the caller failed"), worker("json") as w:
        w.submit("json", "dumps", "x" * 1_000_000)
        raise RuntimeError("the caller failed")
