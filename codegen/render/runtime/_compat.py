"""The threading twins of _acompat.py's primitives, with the same names and signatures."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from time import sleep as _sleep
from typing import TypeVar

T = TypeVar("T")


def lock() -> threading.Lock:
    return threading.Lock()


def event() -> threading.Event:
    return threading.Event()


def wait_event(ev: threading.Event, timeout: float) -> bool:
    """Wait until `ev` is set; False when `timeout` seconds passed first."""
    return ev.wait(max(0.0, timeout))


def sleep(seconds: float) -> None:
    _sleep(seconds)


def all_of(works: list[Callable[[], T]]) -> list[T]:
    """The results of `work()` for each of `works`, run at the same time (a thread each but the first), in order."""
    if len(works) == 1:
        return [works[0]()]
    with ThreadPoolExecutor(len(works) - 1, thread_name_prefix="chatmaps_db") as pool:
        rest = [pool.submit(work) for work in works[1:]]
        first = works[0]()
        return [first, *(future.result() for future in rest)]


def within(seconds: float, work: Callable[[], T]) -> T:
    """The result of `work()`, or TimeoutError after `seconds`.

    The work runs in a daemon thread; past the deadline it is left to finish on its own
    (every wait in it is bounded by connect_timeout or the pool timeout).
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=run, name="chatmaps_db deadline", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError
    if failure:
        raise failure[0]
    return outcome[0]
