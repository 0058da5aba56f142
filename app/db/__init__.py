"""Engine and session factories, tables and migrations."""
