from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from voice.whisper_model import DEFAULT_DIR, ModelPreparationFailed, whisper_model_prepare


class Command(BaseCommand):
    help = "Download and join the local Whisper base model (CTranslate2) for speech-to-text."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="target directory")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            model_dir = whisper_model_prepare(options["dir"].resolve())
        except ModelPreparationFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Whisper model ready in {model_dir}")
