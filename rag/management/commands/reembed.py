"""manage.py reembed: move every chunk's vector to the active embedding model, resumably."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from rag.providers import active_model_id


class Command(BaseCommand):
    help = (
        "Re-embed the chunks whose vectors come from another model than the active one. "
        "Each batch commits on its own, so an interrupted run resumes where it stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=64)

    def handle(self, *args: Any, **options: Any) -> None:
        from rag.services import chunks_needing_reembed_count, chunks_reembed

        total = chunks_needing_reembed_count()
        model = active_model_id()
        if not total:
            self.stdout.write(f"Every chunk is already embedded with {model}.")
            return
        with tqdm(total=total, unit="chunk", disable=options["verbosity"] == 0) as bar:
            bar.set_description(model)
            done = chunks_reembed(
                batch_size=options["batch_size"], progress=lambda count: bar.update(count)
            )
        self.stdout.write(self.style.SUCCESS(f"{done} chunks re-embedded with {model}."))
