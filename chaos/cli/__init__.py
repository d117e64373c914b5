"""The ``chaos`` command: thin wrappers that parse, call the library, and render."""

from chaos.cli.main import console_script, main

__all__ = ["console_script", "main"]
