"""The sync twins (db.py, pool.py) come from a syntax-tree transform of the async sources."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from codegen.dev import twins
from codegen.render.async_to_sync import AsyncToSyncError, to_sync

RUNTIME = Path(__file__).parents[1] / "codegen" / "render" / "runtime"

SOURCE = '''"""Widgets (async): AsyncPool. The sync twin, thing.py, is derived from this file."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from chatmaps_db._acompat import sleep  # the asyncio primitives


class AsyncPool:
    async def __aenter__(self) -> "AsyncPool":
        return self

    @asynccontextmanager
    async def rows(self, work: Callable[[], Awaitable[int]]) -> AsyncIterator[int]:
        # a comment that must survive
        total = (await work()).bit_length()
        async with self as me:
            async for x in me.more():
                total += x
        yield total + sum([y async for y in self.more()])
'''


def _async_nodes(tree: ast.AST) -> list[str]:
    kinds = (ast.Await, ast.AsyncFunctionDef, ast.AsyncWith, ast.AsyncFor)
    found = [type(n).__name__ for n in ast.walk(tree) if isinstance(n, kinds)]
    return found + ["async comprehension" for n in ast.walk(tree) if isinstance(n, ast.comprehension) and n.is_async]


def test_every_async_construct_becomes_sync_and_comments_survive() -> None:
    out = to_sync(SOURCE, "thing_async.py")
    tree = ast.parse(out)
    assert _async_nodes(tree) == []
    assert ast.get_docstring(tree) == "Widgets (sync): Pool. Derived from thing_async.py; do not edit."
    assert "# a comment that must survive" in out and "# the asyncio primitives" in out
    assert "from collections.abc import Callable, Iterator\n" in out  # Awaitable gone, names sorted
    assert "from contextlib import contextmanager" in out and "@contextmanager" in out
    assert "from chatmaps_db._compat import sleep" in out
    assert "def __enter__(self)" in out and "class Pool:" in out
    assert "work: Callable[[], int]" in out  # Awaitable[T] -> T
    assert "total = (work()).bit_length()" in out  # (await x).y keeps its parentheses
    assert "with self as me:" in out and "for x in me.more():" in out and "[y for y in self.more()]" in out


def test_an_async_construct_without_a_rule_is_an_error_naming_the_file() -> None:
    src = SOURCE.replace("AsyncIterator", "AsyncGenerator")
    with pytest.raises(AsyncToSyncError, match=r"^thing_async.py: .*AsyncGenerator.*add a rule"):
        to_sync(src, "thing_async.py")


def test_the_docstring_must_name_the_twin() -> None:
    with pytest.raises(AsyncToSyncError, match="docstring"):
        to_sync('"""No marker."""\n', "x_async.py")


@pytest.mark.parametrize("path", sorted(RUNTIME.glob("*_async.py")), ids=lambda p: p.name)
def test_the_runtime_twins_have_nothing_async_left(path: Path) -> None:
    out = to_sync(path.read_text(), path.name)
    assert _async_nodes(ast.parse(out)) == []
    # The transform moves only the async parts: every comment of the source is in the twin, in order.
    source_comments = [line.strip() for line in path.read_text().splitlines() if line.strip().startswith("#")]
    assert [line.strip() for line in out.splitlines() if line.strip().startswith("#")] == source_comments


def test_generate_rederives_a_stale_twin_and_check_catches_a_hand_edit(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    shutil.copytree(RUNTIME, runtime)
    assert twins.refresh(runtime) == [] and twins.diff(runtime) == ""  # the committed twins are current
    source = runtime / "pool_async.py"
    source.write_text(source.read_text().replace("class AsyncPool:", "class AsyncPool:  # edited", 1))
    assert twins.diff(runtime) != ""  # make check: the twin no longer matches its source
    assert twins.refresh(runtime) == [runtime / "pool.py"]  # make generate: only the stale twin
    assert "class Pool:  # edited" in (runtime / "pool.py").read_text() and twins.diff(runtime) == ""
    twin = runtime / "db.py"
    twin.write_text(twin.read_text().replace("def close(self)", "def close_(self)", 1))  # the digest line still matches
    assert twins.refresh(runtime) == []  # generate trusts the digest (no libcst on its path) ...
    assert "-    def close_(self)" in twins.diff(runtime)  # ... and check does not
