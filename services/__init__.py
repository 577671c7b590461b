"""Khum's services: intake, meetings, budget and notify, on a shared runtime."""
