"""HTTP handlers, auth/session/origin checks and error mapping."""
