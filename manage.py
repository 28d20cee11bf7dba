#!/usr/bin/env python
"""Django's command-line utility for Shixun.

Run from the repository root: the `shixun` package there finds the apps in
platform/, courses/, assessments/ and themes/ (see shixun/__init__.py).
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shixun.config.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
