"""Import .h5p packages in bulk, e.g. a district's existing library.

    python manage.py h5p_import PATH... [--title TITLE]

Each file becomes a new H5P activity. One line per file; the exit status is
0 only when every file was accepted. A refused file leaves nothing behind
(no rows, no files); the accepted ones are kept.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ...packages import PackageRefused, import_package


class Command(BaseCommand):
    help = "Validate and import .h5p packages as H5P activities."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="one or more .h5p files")
        parser.add_argument("--title", default="", help="title of the activity (default: the package's own title)")

    def handle(self, *paths, **options):
        refused = 0
        for name in options["paths"]:
            path = Path(name)
            try:
                with path.open("rb") as fileobj:
                    content = import_package(fileobj, title=options["title"], file_name=path.name)
            except PackageRefused as refusal:
                refused += 1
                self.stderr.write(_("REFUSED  %(file)s: %(reason)s") % {"file": name, "reason": refusal.message})
            except OSError as error:
                refused += 1
                reason = error.strerror or str(error)
                self.stderr.write(_("REFUSED  %(file)s: %(reason)s") % {"file": name, "reason": reason})
            else:
                self.stdout.write(
                    _("OK       %(file)s: activity %(id)s “%(title)s”")
                    % {"file": name, "id": content.activity_id, "title": content.activity.title}
                )
        if refused:
            summary = _("%(refused)d of %(total)d files were refused.")
            raise CommandError(summary % {"refused": refused, "total": len(options["paths"])}, returncode=1)
