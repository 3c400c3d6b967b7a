"""Persistence: SQLModel tables, the engine and Alembic migrations (SQLite or PostgreSQL)."""
