"""The Celery app for a worker that kills itself (SIGKILL) after a task's work, before its ack.

`celery -A testing.crashing_worker worker` with CRASH_AFTER_TASK_MARKER set to a file path: the
first task to finish writes the file and kills the process, so its message is never
acknowledged and the broker delivers it again. Later workers (the file exists) run normally.
"""

import os
import signal
from pathlib import Path
from typing import Any

from celery.signals import task_postrun

from learnwithavi.celery import app

__all__ = ["app"]


# task_postrun runs after the task returned and before the worker acknowledges (acks_late).
@task_postrun.connect
def _crash_once(**kwargs: Any) -> None:
    marker = os.environ.get("CRASH_AFTER_TASK_MARKER")
    if marker and not Path(marker).exists():
        Path(marker).write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
