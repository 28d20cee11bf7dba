#!/usr/bin/env python
"""Django's command-line utility for Shixun.

Run from the repository root: the `shixun` package there finds the apps in
platform/, courses/, assessments/ and themes/ (see shixun/__init__.py).
"""

import gc
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shixun.config.settings.dev")
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018
    except (ImproperlyConfigured, ImportError):
        pass  # execute_from_command_line reports a broken configuration as Django always has
    else:
        # Loading the apps (Wagtail's and ours) makes some 270,000 objects that live as long as the process;
        # the cyclic collector would walk them again and again while they are made, and once more in full at
        # exit (bench/ANALYSIS.md, 2026-12-06). Python's documented pattern: no collection during start-up,
        # then freeze what start-up made so that later collections leave it alone. The django.setup() of
        # execute_from_command_line then finds the apps loaded.
        gc.disable()
        try:
            django.setup()
            gc.freeze()
        finally:
            gc.enable()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
