"""Notify: who hears what, on which channel. For now the in-app inbox of council members."""
