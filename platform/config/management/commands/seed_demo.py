"""Load the demo data of every Shixun app, idempotently.

Each app that has demo data keeps it in its own `demo.py` with a
`seed(stdout)` function; they run in INSTALLED_APPS order, so an app's demo
can build on the ones before it (courses on accounts, transcripts on courses).
Running the command again updates instead of duplicating.
"""

from importlib import import_module, util

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create or update the demo district, schools, people, courses and progress."

    def handle(self, *args, **options):
        logins = []
        for app_config in apps.get_app_configs():
            module_name = f"{app_config.name}.demo"
            if util.find_spec(module_name) is None:
                continue
            module = import_module(module_name)
            with transaction.atomic():
                result = module.seed(self.stdout)
            logins.extend(result or [])
        if logins:
            self.stdout.write(self.style.SUCCESS("\nDemo logins (演示账号):"))
            for role, username, password in logins:
                self.stdout.write(f"  {role:<24} {username:<20} {password}")
