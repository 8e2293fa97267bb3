"""The watch schedule in ``vestige worker``: one self-renewing django-tasks task.

``run_due_task`` checks the due sources (captures are queued as their own tasks, so a slow page
never holds up the schedule), then enqueues itself to run again ``TICK_SECONDS`` later. When
``vestige worker`` starts it calls :func:`ensure_scheduled`, which enqueues the task unless one
is already waiting or running — so there is one chain however often the worker restarts, and a
chain lost with a crashed worker is restarted by the next start.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks import task

from . import service

TICK_SECONDS = 60.0


@task()
def run_due_task() -> dict[str, Any]:
    """Check the due sources now, then schedule the next tick (even when this one failed)."""
    try:
        report = service.run_due(background=True)
    finally:
        schedule_next()
    return {"checked": len(report.checks), "settled": report.settled, "rechecks": report.rechecks}


def schedule_next(delay: float = TICK_SECONDS) -> str:
    """Enqueue the next tick; return its task id."""
    result = run_due_task.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue()
    return str(result.id)


def ensure_scheduled() -> bool:
    """Enqueue a tick now unless one is waiting or running; True when one was enqueued."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=run_due_task.module_path, status__in=["READY", "RUNNING"]
    )
    if waiting.exists():
        return False
    schedule_next(0.0)
    return True
