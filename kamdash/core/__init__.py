"""Settings, periods (the one as-of rule), formatting, DuckDB helpers, `Missing`."""
