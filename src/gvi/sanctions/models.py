"""Sanction episodes (ökat fokus): group-level consequences that are swift, certain and predictable."""
