"""What a page, deck section or CLI command shows, as plain data."""
