"""Operating the system: request logs and ids, liveness and readiness probes, backups."""
