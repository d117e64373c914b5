"""The reference system under test: a small, realistic AI gateway with a fallback chain."""
