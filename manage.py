#!/usr/bin/env python
"""Django's command-line utility for Shixun.

Run from the repository root: the `shixun` package there finds the apps in
platform/, courses/, assessments/ and themes/ (see shixun/__init__.py).
"""

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
        # The apps load without the cyclic collector, and what they made is frozen out of its way
        # (shixun.config.startup). The django.setup() of execute_from_command_line then finds them loaded.
        from shixun.config.startup import frozen_start_up

        with frozen_start_up():
            django.setup()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
