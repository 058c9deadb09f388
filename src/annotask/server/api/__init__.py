"""The REST API: one router module per resource, all under ``/api``."""
