"""Framework-free kernel: settings, database, deferred jobs, clock, logging. Imports nothing from the project."""
