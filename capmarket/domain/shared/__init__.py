"""Helpers shared by the domain apps (no models): history records, the CSV writer."""
