"""The asyncio primitives pool_async.py and db_async.py use; _compat.py has their threading twins.

The two files keep one API, so the sync modules are derived from the async ones by renaming
(`_acompat` -> `_compat`, dropping `async`/`await`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def lock() -> asyncio.Lock:
    return asyncio.Lock()


def event() -> asyncio.Event:
    return asyncio.Event()


async def wait_event(ev: asyncio.Event, timeout: float) -> bool:
    """Wait until `ev` is set; False when `timeout` seconds passed first."""
    if ev.is_set():
        return True
    if timeout <= 0:
        return False
    try:
        async with asyncio.timeout(timeout):
            await ev.wait()
    except TimeoutError:
        return False
    return True


async def sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def all_of(works: list[Callable[[], Awaitable[T]]]) -> list[T]:
    """The results of `work()` for each of `works`, run at the same time, in order."""
    return list(await asyncio.gather(*(work() for work in works)))


async def within(seconds: float, work: Callable[[], Awaitable[T]]) -> T:
    """The result of `work()`, or TimeoutError after `seconds`.

    Past the deadline the work is cancelled but not waited for, as the sync twin leaves its
    thread: psycopg answers a cancelled query by sending the server a cancel request, which a
    frozen server leaves unanswered for seconds, and the caller must not wait for that.
    """
    task = asyncio.ensure_future(work())
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        task.add_done_callback(_consume)
        raise TimeoutError
    return task.result()


def _consume(task: asyncio.Future[Any]) -> None:
    """Retrieve a left-behind task's outcome, so that asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()
