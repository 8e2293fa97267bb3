"""Case roles and what each may do. Deny unless listed here."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    INVESTIGATOR = "investigator"
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


class Permission(StrEnum):
    VIEW = "view"  # see the case, its items and their metadata
    DOWNLOAD = "download"  # fetch original bytes and derivatives
    IMPORT = "import"  # add evidence
    EDIT = "edit"  # change descriptive fields (title, graphic flag, claimed date)
    EXPORT = "export"  # produce an export bundle
    VERIFY = "verify"  # run verification
    MANAGE = "manage"  # add and remove members


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.INVESTIGATOR: frozenset(
        {
            Permission.VIEW,
            Permission.DOWNLOAD,
            Permission.IMPORT,
            Permission.EDIT,
            Permission.EXPORT,
            Permission.VERIFY,
        }
    ),
    Role.ANALYST: frozenset({Permission.VIEW, Permission.DOWNLOAD, Permission.EDIT}),
    Role.REVIEWER: frozenset({Permission.VIEW, Permission.DOWNLOAD, Permission.VERIFY}),
    Role.VIEWER: frozenset({Permission.VIEW}),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.OWNER: "everything, including members",
    Role.INVESTIGATOR: "import, edit, download, export, verify",
    Role.ANALYST: "read, download and describe evidence",
    Role.REVIEWER: "read, download and verify",
    Role.VIEWER: "read metadata and previews only",
}


def allows(role: str, permission: Permission) -> bool:
    """Whether ``role`` grants ``permission``; unknown roles grant nothing."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
