"""Programme staff pages: users and roles."""
