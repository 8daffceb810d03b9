"""Benchmarks behind ``make bench``. Each module ``bench/<name>.py`` has ``main() -> None`` and
writes its figures, with the command that made them, to ``docs/performance/<name>.md``."""
