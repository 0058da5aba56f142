"""Password hashing, session tokens and login rate limiting."""
