"""Signals other apps listen to without this app knowing them (apps above it on the
floors react; this one never imports them)."""

from django.dispatch import Signal

# Sent with job_id when a generation job stops running (succeeded, failed or cancelled).
generation_job_finished = Signal()

# Sent with job_id, system_id and sample_ids after a job has stored a batch of responses
# (those samples now have one from the system; an overlapping job may have stored it).
generation_responses_stored = Signal()
