"""Producer groups: registration, verification, members, payout destination."""
