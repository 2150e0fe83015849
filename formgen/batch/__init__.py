"""Checking a bureau's returned files all at once (issue 9)."""
