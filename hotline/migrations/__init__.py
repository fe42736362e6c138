"""Alembic migrations; run with ``hotline db upgrade``."""
