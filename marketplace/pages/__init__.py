"""Pages that belong to no single domain: home, about."""
