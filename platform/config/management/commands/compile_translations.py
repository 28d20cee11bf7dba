"""Compile every .po catalogue of the project to .mo with polib.

Django's compilemessages needs GNU gettext's msgfmt; polib does the same in
pure Python, so `make demo` works on a machine without gettext installed.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand

SOURCE_DIRS = ("platform", "courses", "assessments", "themes")


class Command(BaseCommand):
    help = "Compile the project's translation catalogues (.po → .mo)."

    def handle(self, *args, **options):
        compiled = 0
        for top in SOURCE_DIRS:
            for po_path in sorted((Path(settings.BASE_DIR) / top).rglob("locale/*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                compiled += 1
        self.stdout.write(f"compile_translations: {compiled} catalogue(s) compiled")
