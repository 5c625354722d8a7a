"""The task framework in one place: Django's own `django.tasks` from Django 6, the `django-tasks` backport
before it (same API). Apps import `task` from here, so moving to Django 6 changes this file only.

Tasks are stored by the database backend (`django_tasks_db`) and run by `gvi worker`
(gvi.operations.worker), on SQLite and PostgreSQL alike.
"""

try:  # Django 6+
    from django.tasks import TaskContext, task, task_backends
except ImportError:  # Django 5.2 with the backport
    from django_tasks import TaskContext, task, task_backends

__all__ = ["TaskContext", "task", "task_backends"]
