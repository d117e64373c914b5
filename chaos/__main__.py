"""``python -m chaos`` is the ``chaos`` command."""

from chaos.cli import console_script

console_script()
