"""``python -m camfleet``: the same as the ``camfleet`` command."""

from camfleet.cli import main

main()
