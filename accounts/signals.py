import django.dispatch

user_erased = django.dispatch.Signal()
