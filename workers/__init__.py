"""Celery workers: the app factory (workers.app) and the task bodies (workers.tasks)."""
