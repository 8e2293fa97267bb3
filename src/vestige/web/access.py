"""How every page finds its case: membership first, then the role's permission.

A view decorated with :func:`case_view` receives a :class:`CaseAccess` instead of the slug. A
non-member gets 404, exactly as for a case that does not exist; a member whose role lacks the
permission gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponseBase

from ..cases.access import case_for, role_in
from ..cases.models import Case
from ..cases.roles import Permission, allows
from ..core.errors import NotFound, PermissionDenied


@dataclass(frozen=True)
class CaseAccess:
    """A case as one user may see it: their role and what it allows."""

    case: Case
    role: str
    can: dict[str, bool] = field(default_factory=dict)

    def allows(self, permission: Permission) -> bool:
        """Whether the user's role grants ``permission`` in this case."""
        return self.can.get(permission.value, False)


def resolve_case(user: Any, slug: str, permission: Permission) -> CaseAccess:
    """The case ``slug`` for ``user``, or Http404 (not a member) or 403 (role too weak)."""
    try:
        case = case_for(user, slug, permission)
    except NotFound as exc:
        raise Http404("No such case.") from exc
    except PermissionDenied as exc:
        raise HttpForbidden(str(exc)) from exc
    role = role_in(user, case) or ""
    return CaseAccess(case, role, {p.value: allows(role, p) for p in Permission})


CaseView = Callable[..., HttpResponseBase]


def case_view(permission: Permission) -> Callable[[CaseView], CaseView]:
    """Decorate a view taking ``(request, access, ...)`` so that it receives the checked case."""

    def decorator(view: CaseView) -> CaseView:
        @wraps(view)
        def wrapped(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            access = resolve_case(request.user, slug, permission)
            return view(request, access, *args, **kwargs)

        return login_required(wrapped)

    return decorator
