"""Products, photos, search and the storefront."""
