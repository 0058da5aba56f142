"""Crisis signals and the public help directory: data files loaded once at start."""
