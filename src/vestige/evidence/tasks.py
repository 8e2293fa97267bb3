"""Background tasks of the evidence app, run by `vestige worker` (django-tasks)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from ..cases.models import Case
from .verification import verify_cases


@task()
def verify_case_task(slug: str, actor: str) -> dict[str, Any]:
    """Verify one case in the background; the report is kept as the task's result."""
    case = Case.objects.get(slug=slug)
    return verify_cases([case], actor=actor).as_dict()
