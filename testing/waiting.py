"""Waiting for another process (a worker, a server) to have done its part in a test."""

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], object], seconds: float = 20.0, poll: float = 0.05) -> bool:
    """Poll `condition` until it is true or `seconds` pass (a wait, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False
