"""Signals other apps listen to, so that courses never imports the apps built on it."""

from django.dispatch import Signal

# Sent by `manage.py seed_demo` after the demo course exists (kwargs: course). Receivers return
# a line for the command to print (rag ingests the demo transcripts this way).
demo_course_seeded = Signal()
