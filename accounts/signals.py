"""Signals other apps listen to, so that accounts never imports the apps built on it."""

from django.dispatch import Signal

# Sent by `clerk_user_erase` (kwargs: user), inside its transaction and before the account is
# stripped: each app deletes the person's rows it owns (conversations, progress, questions...).
user_erased = Signal()
