"""Signals other apps listen to without this app knowing them (apps above it on the
floors react; this one never imports them)."""

from django.dispatch import Signal

# Sent with job_id when a generation job stops running (succeeded, failed or cancelled).
generation_job_finished = Signal()
