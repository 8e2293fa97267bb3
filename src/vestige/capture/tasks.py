"""Background captures, run by ``vestige worker`` (django-tasks, database backend).

Each capture is one task. The worker respects VESTIGE_CAPTURE_PARALLEL across all worker
processes: a task that finds every slot taken puts itself back in the queue a few seconds
later. Retries of transient failures happen inside :func:`~vestige.capture.service.run_capture`
(bounded by VESTIGE_CAPTURE_RETRIES), so they behave the same in the foreground and here.
When the worker starts, :func:`resume_interrupted` picks up batches whose run was cut short.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django_tasks import task

from . import service
from .models import Capture, CaptureStatus

logger = logging.getLogger("vestige.capture")

# Seconds a capture waits for a free slot before trying again.
SLOT_WAIT_SECONDS = 5.0


@task()
def capture_task(capture_id: str) -> dict[str, Any]:
    """Run one queued capture; the task's result is the capture's status row."""
    capture = Capture.objects.filter(pk=capture_id).first()
    if capture is None:
        return {"id": capture_id, "status": "missing"}
    if capture.status != CaptureStatus.QUEUED:
        return service.status_row(capture)  # finished, or another runner has it
    capture = service.run_capture(capture_id, limit=int(settings.CAPTURE_PARALLEL))
    if capture.status == CaptureStatus.QUEUED:
        service.enqueue(capture, delay=SLOT_WAIT_SECONDS)
        return {**service.status_row(capture), "deferred": True}
    return service.status_row(capture)


def _task_alive(task_id: str) -> bool:
    """Whether the queued task with this id is still waiting or running."""
    if not task_id:
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(pk=task_id, status__in=["READY", "RUNNING"]).exists()


def resume_interrupted() -> int:
    """Requeue the captures of interrupted batches; return how many were queued.

    Called when ``vestige worker`` starts. A capture left running longer than the timeout
    (its process died) goes back to the queue; so do the queued captures of a batch nobody is
    running any more (a foreground run that was killed, or a task lost with its worker).
    """
    queued = 0
    for batch in service.interrupted_batches():
        captures = service.unfinished(batch)
        service.requeue_interrupted(captures)
        service.clean_leftover_workdirs(c.pk for c in captures if c.status == CaptureStatus.RUNNING)
        for capture in Capture.objects.filter(
            pk__in=[c.pk for c in captures], status=CaptureStatus.QUEUED
        ):
            if not _task_alive(capture.task_id):
                service.enqueue(capture)
                queued += 1
        if not batch.background:
            batch.background = True
            batch.save(update_fields=["background"])
    if queued:
        logger.info("requeued %d interrupted captures", queued)
    return queued
