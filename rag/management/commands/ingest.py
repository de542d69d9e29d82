"""manage.py ingest: load transcript files into videos (inline with --sync, else Celery)."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from courses.models import Course, Video
from learnwithavi.errors import ApplicationError
from rag.parsers import FORMATS

MANIFEST = "manifest.json"


class Command(BaseCommand):
    help = (
        "Ingest transcripts (VTT, SRT, JSON, [mm:ss] text) or recordings to transcribe (mp3, "
        "wav, m4a, ogg/opus, webm, mp4, mkv, flac). Either one or more files with "
        "--video YOUTUBE_ID, or a directory holding manifest.json ({file: youtube_id}), or "
        "a directory of files named after their videos' YouTube ids with --course SLUG."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="transcript files or a directory")
        parser.add_argument("--video", help="the YouTube id of the video the files belong to")
        parser.add_argument("--course", help="the course slug whose videos the files name")
        parser.add_argument("--format", choices=FORMATS, help="default: from the extension")
        parser.add_argument("--sync", action="store_true", help="run inline, not in Celery")

    def handle(self, *args: Any, **options: Any) -> None:
        from rag.recording_checks import is_recording
        from rag.recordings import recording_upload
        from rag.services import transcript_upload

        jobs = self._jobs([Path(p) for p in options["paths"]], options)
        failures = 0
        with tqdm(total=len(jobs), unit="file", disable=options["verbosity"] == 0) as bar:
            for path, video in jobs:
                bar.set_description(video.youtube_id)
                try:
                    if not options["format"] and is_recording(path):
                        source = recording_upload(
                            video=video,
                            path=path,
                            filename=path.name,
                            run_inline=options["sync"],
                        )
                    else:
                        source = transcript_upload(
                            video=video,
                            content=path.read_bytes(),
                            filename=path.name,
                            format=options["format"],
                            run_inline=options["sync"],
                        )
                except ApplicationError as error:
                    failures += 1
                    bar.write(self.style.ERROR(f"{path}: {error}"))
                except Exception as error:  # a failed inline ingest: keep going with the rest
                    failures += 1
                    bar.write(self.style.ERROR(f"{path}: {type(error).__name__}: {error}"))
                else:
                    status = source.status if options["sync"] else "queued"
                    bar.write(f"{path.name} -> {video.youtube_id}: {status}")
                bar.update(1)
        if failures:
            raise CommandError(f"{failures} of {len(jobs)} transcripts failed.")
        self.stdout.write(self.style.SUCCESS(f"{len(jobs)} transcripts ingested."))

    def _video(self, youtube_id: str, course: Course | None = None) -> Video:
        videos = Video.objects.select_related("course")
        if course is not None:
            videos = videos.filter(course=course)
        try:
            return videos.get(youtube_id=youtube_id)
        except Video.DoesNotExist:
            raise CommandError(f"No video with YouTube id {youtube_id!r}.") from None

    def _jobs(self, paths: list[Path], options: dict[str, Any]) -> list[tuple[Path, Video]]:
        course = None
        if options["course"]:
            try:
                course = Course.objects.get(slug=options["course"])
            except Course.DoesNotExist:
                raise CommandError(f"No course with slug {options['course']!r}.") from None
        if options["video"]:
            video = self._video(options["video"], course)
            files = [p for p in paths if p.is_file()]
            if len(files) != len(paths):
                raise CommandError("With --video, every path must be a file.")
            return [(path, video) for path in files]
        if len(paths) != 1 or not paths[0].is_dir():
            raise CommandError("Give --video YOUTUBE_ID, or one directory (manifest or --course).")
        directory = paths[0]
        manifest = directory / MANIFEST
        if manifest.is_file():
            try:
                mapping = json.loads(manifest.read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                raise CommandError(f"{manifest}: not valid JSON ({error}).") from None
            if not isinstance(mapping, dict):
                raise CommandError(f"{manifest}: expected an object {{file: youtube_id}}.")
            jobs = []
            for name, youtube_id in mapping.items():
                path = directory / name
                if not path.is_file():
                    raise CommandError(f"{manifest}: {name} does not exist.")
                jobs.append((path, self._video(str(youtube_id), course)))
            return jobs
        if course is None:
            raise CommandError(f"{directory} has no {MANIFEST}: give --course SLUG.")
        from rag.recording_checks import RECORDING_EXTENSIONS

        accepted = (*FORMATS, *RECORDING_EXTENSIONS)
        files = sorted(
            p
            for p in directory.iterdir()
            if p.is_file() and p.suffix.lstrip(".").lower() in accepted
        )
        return [(path, self._video(path.stem, course)) for path in files]
