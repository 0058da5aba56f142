"""Event delivery: an in-memory hub per process, bridged across processes by PostgreSQL."""
