"""Robust checks."""
