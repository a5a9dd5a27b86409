"""Perpetual checks."""
