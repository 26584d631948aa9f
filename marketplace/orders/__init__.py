"""Orders, fulfilments per producer group, stock reservations."""
