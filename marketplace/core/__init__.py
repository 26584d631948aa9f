"""Cross-cutting web plumbing: templates, middleware, CSRF, error rendering."""
