"""Jobs for tests/test_hermetic.py to run in a codegen worker process."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from codegen.errors import UnsupportedSchema


def hold_a_temporary_folder(ready: str) -> None:
    """Make a folder as fmt.format_files does, say so by creating `ready`, and wait to be stopped."""
    with tempfile.TemporaryDirectory(prefix="chatmaps-fmt-"):
        Path(ready).touch()
        time.sleep(600)


def refuse(message: str) -> None:
    """Fail as the generator fails on a schema it cannot describe."""
    raise UnsupportedSchema(message)
