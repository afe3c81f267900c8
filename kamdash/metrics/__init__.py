"""The metric definitions as DuckDB SQL: one home per figure."""
