"""The application as production serves it once learnwithavi/asgi.py wraps it in UploadSizeLimit."""

from learnwithavi.asgi import application as django_application
from voice.asgi import UploadSizeLimit

application = UploadSizeLimit(django_application)
