"""Authentication (sessions, API tokens), CSRF and permissions."""
