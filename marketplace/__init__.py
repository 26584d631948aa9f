"""Marketplace for indigenous handicrafts from Cambodia."""
