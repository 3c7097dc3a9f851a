"""The asyncio primitives pool_async.py and db_async.py use; _compat.py has their threading twins.

The two files keep one API, so the sync modules are derived from the async ones by renaming
(`_acompat` -> `_compat`, dropping `async`/`await`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def condition() -> asyncio.Condition:
    return asyncio.Condition()


async def wait(cond: asyncio.Condition, timeout: float) -> bool:
    """Wait on `cond` (held) for a notify; False when `timeout` seconds passed first."""
    try:
        async with asyncio.timeout(timeout):
            await cond.wait()
    except TimeoutError:
        return False
    return True


async def sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def within(seconds: float, work: Callable[[], Awaitable[T]]) -> T:
    """The result of `work()`, or TimeoutError after `seconds` (the work is cancelled)."""
    async with asyncio.timeout(seconds):
        return await work()
