"""How one replication runs: population, risk, care settings, workforce and the event log."""
