"""Checking a folder of returned files at once (issue 9)."""
