"""Snapshots: load (ingest + precompute), publish, open, filter scope, diff."""
