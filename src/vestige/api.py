"""The JSON API (django-ninja). Each app contributes a router."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from .capture.api import router as capture_router
from .core.errors import NotFound, PermissionDenied, UserError
from .evidence.api import router as evidence_router
from .protection.api import router as registry_router
from .search.api import router as search_router

api = NinjaAPI(
    title="Vestige API",
    version="1",
    description=(
        "Cases, items, custody and import. Every call checks case membership. Authenticate "
        "with the browser session (unsafe methods then need the CSRF token) or with "
        "`Authorization: Bearer TOKEN` (make one with `vestige token create USERNAME`). "
        "Errors are `{\"detail\": \"...\"}`. The protection registry is pseudonymised: no "
        "identity is ever returned by the API, to any role (reveal it in the web UI)."
    ),
    urls_namespace="api",
)
api.add_router("/", evidence_router)
api.add_router("/", search_router)
api.add_router("/", registry_router)
api.add_router("/", capture_router)


@api.exception_handler(NotFound)
def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    """A missing case or item, or one the caller may not see: 404."""
    return api.create_response(request, {"detail": str(exc)}, status=404)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    """The caller's role does not allow the action: 403."""
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(UserError)
def user_error(request: HttpRequest, exc: UserError) -> HttpResponse:
    """Bad input: 400."""
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """No valid session or token: 401, naming the scheme to use."""
    response = api.create_response(request, {"detail": "Unauthorized"}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="vestige"'
    return response
