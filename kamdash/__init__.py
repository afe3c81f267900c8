"""kamdash: key account management dashboard on DuckDB."""

__version__ = "0.1.0"
