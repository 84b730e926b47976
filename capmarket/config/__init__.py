# The Celery app is loaded with Django, so that jobs queued by the web server and commands reach the queue.
from capmarket.config.celery import app as celery_app

__all__ = ["celery_app"]
