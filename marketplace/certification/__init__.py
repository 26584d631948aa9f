"""The Seal of Excellence: criteria, applications, review, certificates, public registry."""
