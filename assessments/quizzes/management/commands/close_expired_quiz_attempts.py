from django.core.management.base import BaseCommand

from shixun.assessments.quizzes.services import close_expired_attempts


class Command(BaseCommand):
    help = "Submit every quiz attempt whose time limit has passed, with the answers saved so far."

    def handle(self, *args, **options):
        closed = close_expired_attempts()
        self.stdout.write(f"close_expired_quiz_attempts: {closed} attempt(s) submitted")
