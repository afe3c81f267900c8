"""Reading extract files, mapping them to the data contract, validating them."""
