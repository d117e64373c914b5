"""Views of plans and run records: console tables, Markdown, HTML, JUnit XML."""
