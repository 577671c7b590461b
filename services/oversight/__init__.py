"""Oversight: read models of needs, meetings and budget execution above the commune."""
