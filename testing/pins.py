"""Pins on other packages' source that our code copies or relies on.

Where we mirror a function of Django's or asgiref's, or depend on an internal of theirs
(learnwithavi/asgi_handler.py, learnwithavi/middleware.py), a test holds the sha256 of that
exact source. An upgrade that changes it fails the test, naming what to re-read in our code,
instead of silently running a copy of an older version.
"""

import hashlib
import importlib
import importlib.metadata
import inspect
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Pin:
    target: str  # a dotted path: package.module.Class.attribute
    sha256: str
    reread: str  # what of ours relies on it, to re-read when it changed


def resolve(target: str) -> Any:
    """The object at a dotted path (the longest importable module, then attributes)."""
    parts = target.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            found = getattr(found, name)
        return found
    raise ImportError(target)


def digest(target: str) -> str:
    return hashlib.sha256(inspect.getsource(resolve(target)).encode()).hexdigest()


def installed(target: str) -> str:
    """The distribution and version that provide `target`, e.g. "Django 5.2.19"."""
    top = target.split(".")[0]
    names = importlib.metadata.packages_distributions().get(top, [top])
    return f"{names[0]} {importlib.metadata.version(names[0])}"


def assert_unchanged(pin: Pin) -> None:
    actual = digest(pin.target)
    assert actual == pin.sha256, (
        f"{pin.target} differs from the source we pinned (installed: {installed(pin.target)}). "
        f"Re-read {pin.reread}; carry the change over, then pin sha256 {actual!r}."
    )
