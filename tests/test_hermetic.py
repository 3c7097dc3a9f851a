"""The suite and the tools behave the same on any machine: no test reads the clock at import
time, and no run leaves a temporary folder behind, whichever way it ends."""

from __future__ import annotations

import ast
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codegen.dev import pg
from codegen.paths import ROOT
from codegen.worker import worker
from tests.package_checks import generate_from_url

_CLOCKS = {"now", "utcnow", "today"}  # datetime's and date's
_TIME_CLOCKS = {"time", "monotonic", "perf_counter"}  # the time module's


def _module_level_clock_reads(path: Path) -> list[str]:
    """`file:line` of each clock call that runs when the module is imported (not inside a def)."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return  # runs when called, not at collection
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            on_time = isinstance(func.value, ast.Name) and func.value.id == "time"
            if func.attr in _CLOCKS or (on_time and func.attr in _TIME_CLOCKS):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_no_test_module_reads_the_clock_at_import() -> None:
    """A time taken at collection is minutes old when a loaded machine reaches the test."""
    offenders = [hit for path in sorted((ROOT / "tests").rglob("*.py")) for hit in _module_level_clock_reads(path)]
    assert offenders == []


@pytest.fixture
def private_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A TMPDIR of the test's own (short: a server's socket lives there), for the processes it
    starts: what they leave behind is counted there, whatever else runs on the machine."""
    folder = Path(tempfile.mkdtemp(prefix="t", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str] | None = None) -> None:
    """Poll until `condition` holds (no deadline: pytest's own timeout, if any, is the limit)."""
    while not condition():
        assert proc is None or proc.poll() is None, proc.communicate() if proc else None
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie that no init process reaped, as in some containers, does not)."""
    try:
        os.kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_stopped_worker_removes_its_temporary_folders(private_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller failed while the worker formatted tables.py: stopping it must not leak the copy."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the worker imports tests.worker_jobs
    monkeypatch.setenv("CODEGEN_WORKERS", "1")  # a process, even on one CPU
    ready = private_tmp / "ready"
    with pytest.raises(RuntimeError, match="the caller failed"), worker("json") as w:
        w.submit("tests.worker_jobs", "hold_a_temporary_folder", str(ready))
        _wait_for(ready.exists)
        assert [n for n in _left(private_tmp) if n.startswith("chatmaps-fmt-")]  # it is there now
        raise RuntimeError("the caller failed")
    assert _left(private_tmp) == ["ready"]


def test_sigterm_stops_generate_with_its_server_and_leaves_no_folder(private_tmp: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "codegen", "generate", "--out", str(tmp_path / "out")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sockets = lambda: list(private_tmp.glob("chatmaps-pg-*/.s.PGSQL.*"))  # noqa: E731 (the server is up)
    _wait_for(lambda: bool(sockets()), proc)
    postmaster = int((sockets()[0].parent / "data" / "postmaster.pid").read_text().split()[0])
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate()
    assert (proc.returncode, err) == (128 + signal.SIGTERM, "error: stopped by SIGTERM\n"), err
    assert _left(private_tmp) == []
    assert not _alive(postmaster)  # the scratch server was stopped, not orphaned
    assert not (tmp_path / "out").exists()


def test_a_failed_generate_leaves_no_folder(private_tmp: Path, fresh_db: str, tmp_path: Path) -> None:
    """The planner refuses the schema while the worker is still making tables.py."""
    loaded = pg.run_psql(
        fresh_db, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(ROOT / "tests/cases/unmappable_type/schema.sql")
    )
    assert loaded.returncode == 0, loaded.stderr
    proc = generate_from_url(fresh_db, tmp_path / "out")
    assert proc.returncode == 1 and proc.stderr.startswith("error: "), proc.stderr
    assert _left(private_tmp) == []


def _initdb_running(folder: Path) -> bool:
    data = list(folder.glob("chatmaps-pg-*/data"))
    return bool(data) and not (data[0] / "postmaster.pid").exists()


def _server_up(folder: Path) -> bool:
    return bool(list(folder.glob("chatmaps-pg-*/.s.PGSQL.*")))


def _staging(folder: Path) -> bool:
    return bool(list(folder.glob("chatmaps-generate-*"))) and _server_up(folder)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize(
    ("command", "point", "reached"),
    [
        ("generate", "during initdb", _initdb_running),
        ("generate", "with the server up", _server_up),
        ("update", "while staging the output", _staging),
    ],
    ids=["initdb", "server", "staging"],
)
def test_a_signal_at_any_point_leaves_no_server_and_no_folder(
    private_tmp: Path, tmp_path: Path, sig: signal.Signals, command: str, point: str, reached: Callable[[Path], bool]
) -> None:
    """A CI timeout or a container stop (SIGTERM), or Ctrl-C (SIGINT), sent to make generate's
    Python process alone: every throwaway server stops and every folder goes, at each point."""
    project = tmp_path / "project"  # `update` writes migrations/ and generated/: a copy of them
    shutil.copytree(ROOT / "migrations", project / "migrations")
    shutil.copy(ROOT / "schema.hcl", project / "schema.hcl")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    args = ["--out", str(tmp_path / "out")] if command == "generate" else ["--out", str(project / "generated")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "codegen", command, "--schema", str(project / "schema.hcl"),
         "--migrations", str(project / "migrations"), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    _wait_for(lambda: reached(private_tmp), proc)
    pids = [int(p.read_text().split()[0]) for p in private_tmp.glob("chatmaps-pg-*/data/postmaster.pid")]
    proc.send_signal(sig)
    _, err = proc.communicate()
    name = "SIGTERM" if sig == signal.SIGTERM else "SIGINT"
    assert (proc.returncode, err) == (128 + sig, f"error: stopped by {name}\n"), (point, err)
    assert _left(private_tmp) == [], point
    assert not any(_alive(pid) for pid in pids), point
    leftover = subprocess.run(["pgrep", "-f", str(private_tmp)], capture_output=True, text=True, check=False)
    assert leftover.stdout == "", f"{point}: processes left: {leftover.stdout}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_the_instant_a_scratch_folder_is_made_leaves_no_folder(private_tmp: Path, sig: signal.Signals) -> None:
    """The window test_a_signal_at_any_point hit about once in 36 runs under load (staging-SIGINT):
    the signal arriving after mkdtemp's mkdir and before the folder is named. Here the process
    sends itself the real signal right after the mkdir, every time: the folder must still go."""
    code = (
        "import os, signal, sys\n"
        "from codegen import signals\n"
        "signals.stop_on_signals()\n"
        "real = os.mkdir\n"
        "def mkdir(path, mode=0o777, **kw):\n"
        "    real(path, mode, **kw)\n"
        f"    os.kill(os.getpid(), {int(sig)})  # delivered at once, unless the caller holds it\n"
        "os.mkdir = mkdir\n"
        "try:\n"
        "    with signals.scratch_folder('chatmaps-generate-') as tmp:\n"
        "        print('entered', flush=True)\n"
        "except signals.Stopped as exc:\n"
        "    print(exc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    name = "SIGTERM" if sig == signal.SIGTERM else "SIGINT"
    assert proc.returncode == 0 and proc.stdout.splitlines()[-1] == f"stopped by {name}", proc.stdout + proc.stderr
    assert _left(private_tmp) == []
