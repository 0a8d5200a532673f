"""Learner progress, stored with peewee in SQLite (one laptop) or PostgreSQL (a province server)."""
