from django.core.management.base import BaseCommand

from shixun.transcripts.ledger import held_module_completions, reconcile, unposted_module_completions


class Command(BaseCommand):
    help = (
        "Post the credit hours of every module completion that has no ledger entry yet "
        "(not those held until their course is passed)."
    )

    def handle(self, *args, **options):
        missing = unposted_module_completions().count()
        posted = reconcile(via="command")
        held = held_module_completions().count()
        self.stdout.write(
            f"{missing} completion(s) without credit; posted {posted}. "
            f"{held} held until their course is passed (待考核)."
        )
