"""The actor page's "Dossier" form: builds a dossier and sends it as one zip (EXPORT permission).

The zip holds the same files as `vestige dossier --out DIR`, so `vestige verify-bundle` checks
it, and once unpacked so does `sha256sum -c SHA256SUMS`. It is built in a temporary folder and
streamed from a temporary file that is deleted once sent.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from ...cases.graph import Actor
from ...cases.roles import Permission
from ...core.errors import UserError
from ...dossiers.builder import build_dossier
from ...dossiers.kinds import KINDS
from ...evidence.bundles import safe_file_name
from ...evidence.custody import actor_label
from ...protection.access import may_reveal
from ...protection.models import Recipient
from ..access import CaseAccess, case_view


@require_POST
@case_view(Permission.EXPORT)
def actor_dossier(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponseBase:
    """Build the dossier chosen in the form and send it as ``<slug>-<kind>-<actor>.zip``."""
    actor = get_object_or_404(Actor, case=access.case, pk=pk)
    kind = request.POST.get("kind", "")
    recipient = request.POST.get("recipient") or None
    if kind not in KINDS or (recipient is not None and recipient not in Recipient.values):
        raise HttpForbidden("unknown dossier kind or recipient")
    with tempfile.TemporaryDirectory(prefix="vestige-dossier-") as scratch:
        folder = Path(scratch) / "dossier"
        try:
            build_dossier(
                access.case,
                actor,
                kind,
                folder,
                label=actor_label(request.user),
                user=request.user,
                recipient=recipient,
                submitter=request.POST.get("submitter", "").strip() or None,
                contact=request.POST.get("contact", "").strip() or None,
                impact=request.POST.get("impact", ""),
                may_name=may_reveal(request.user, access.case),
            )
        except UserError as exc:
            raise HttpForbidden(str(exc)) from exc
        handle = tempfile.TemporaryFile(prefix="vestige-dossier-", suffix=".zip")  # noqa: SIM115
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(folder).as_posix())
    handle.seek(0)
    name = safe_file_name(f"{access.case.slug}-{kind}-{actor.pk}.zip")
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type="application/zip"
    )
    response["Cache-Control"] = "no-store"
    return response
