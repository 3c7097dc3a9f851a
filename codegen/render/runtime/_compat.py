"""The threading twins of _acompat.py's primitives, with the same names and signatures."""

from __future__ import annotations

import threading
from collections.abc import Callable
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
