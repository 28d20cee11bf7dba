#!/usr/bin/env python
"""Django's command-line utility for Shixun.

Run from the repository root: the `shixun` package there finds the apps in
platform/, courses/, assessments/ and themes/ (see shixun/__init__.py).
"""

import gc
import os
import sys


def main() -> None:
    # The cyclic collector stays off from here, through Django's and the settings' imports and the apps'
    # loading, and what they made is frozen out of its way (shixun.config.startup); it is on again for the
    # command. The imports before django.setup() alone ran it ~40 times (~8 ms of each command's start-up).
    gc.disable()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shixun.config.settings.dev")
    from shixun.config.startup import frozen_start_up

    with frozen_start_up():
        import django
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
        from django.core.management import execute_from_command_line

        try:
            settings.INSTALLED_APPS  # noqa: B018
        except (ImproperlyConfigured, ImportError):
            pass  # execute_from_command_line reports a broken configuration as Django always has
        else:
            # The django.setup() of execute_from_command_line then finds the apps loaded.
            django.setup()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
