"""Demo data (courses app: `manage.py seed_demo`)."""

from learnwithavi.settings.components.environment import env

# Passwords of the demo instructor and student; unset: generated and printed once, on creation.
DEMO_INSTRUCTOR_PASSWORD = env.str("DEMO_INSTRUCTOR_PASSWORD", default="")
DEMO_STUDENT_PASSWORD = env.str("DEMO_STUDENT_PASSWORD", default="")
