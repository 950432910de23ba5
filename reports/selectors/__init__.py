"""Reads of the reports app, one module per subject."""
