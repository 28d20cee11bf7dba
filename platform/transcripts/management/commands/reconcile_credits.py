from django.core.management.base import BaseCommand

from shixun.transcripts.ledger import reconcile, unposted_module_completions


class Command(BaseCommand):
    help = "Post the credit hours of every module completion that has no ledger entry yet."

    def handle(self, *args, **options):
        missing = unposted_module_completions().count()
        posted = reconcile(via="command")
        self.stdout.write(f"{missing} completion(s) without credit; posted {posted}.")
