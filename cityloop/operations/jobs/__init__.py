"""Scheduled and requested jobs on procrastinate (a PostgreSQL job queue)."""
