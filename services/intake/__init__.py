"""Intake: citizens' needs, where each need enters and where its whole story is kept."""
