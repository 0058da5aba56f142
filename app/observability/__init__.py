"""The operator's view: Prometheus metrics (metrics.py: what is counted and how other modules
report it; facts.py: what is read from the database at scrape time; pools.py: connection
pool waits) and structured JSON logs (logs.py). See docs/operations.md, "Metrics and logs"."""
