#!/usr/bin/env python
"""Django's command-line utility for the JOST service (``python -m service.manage …``)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service.settings")
    # imported here, as Django's own manage.py does: only a run as a program needs it
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
