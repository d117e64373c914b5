"""Chaos engineering and game days for AI workloads."""

# The one place the version is written; pyproject.toml reads it (importlib.metadata would
# cost a tenth of a second at every start of the CLI).
__version__ = "0.1.0"

__all__ = ["__version__"]
