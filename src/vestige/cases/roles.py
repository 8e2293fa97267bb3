"""Case roles and what each may do. Deny unless listed here."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    INVESTIGATOR = "investigator"
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    VIEWER = "viewer"
    PROTECTION_OFFICER = "protection_officer"


class Permission(StrEnum):
    VIEW = "view"  # see the case, its items and their metadata
    DOWNLOAD = "download"  # fetch original bytes and derivatives
    IMPORT = "import"  # add evidence
    EDIT = "edit"  # change descriptive fields (title, graphic flag, claimed date)
    EXPORT = "export"  # produce an export bundle
    VERIFY = "verify"  # run verification
    MANAGE = "manage"  # add and remove members
    REGISTRY = "registry"  # see the protection registry by pseudonym (never identities)
    REVEAL = "reveal"  # reveal protected identities and open restricted testimony
    PROTECT_EDIT = "protect_edit"  # create and edit protected records, consent and claims


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # The owner runs the case but does not see who the protected people are: only protection
    # officers reveal identities or edit protected records.
    Role.OWNER: frozenset(Permission) - {Permission.REVEAL, Permission.PROTECT_EDIT},
    Role.INVESTIGATOR: frozenset(
        {
            Permission.VIEW,
            Permission.DOWNLOAD,
            Permission.IMPORT,
            Permission.EDIT,
            Permission.EXPORT,
            Permission.VERIFY,
            Permission.REGISTRY,
        }
    ),
    Role.ANALYST: frozenset(
        {Permission.VIEW, Permission.DOWNLOAD, Permission.EDIT, Permission.REGISTRY}
    ),
    Role.REVIEWER: frozenset({Permission.VIEW, Permission.DOWNLOAD, Permission.VERIFY}),
    Role.VIEWER: frozenset({Permission.VIEW}),
    Role.PROTECTION_OFFICER: frozenset(
        {
            Permission.VIEW,
            Permission.DOWNLOAD,
            Permission.REGISTRY,
            Permission.REVEAL,
            Permission.PROTECT_EDIT,
        }
    ),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.OWNER: "everything, including members; the registry by pseudonym only",
    Role.INVESTIGATOR: "import, edit, download, export, verify; the registry by pseudonym",
    Role.ANALYST: "read, download and describe evidence; the registry by pseudonym",
    Role.REVIEWER: "read, download and verify",
    Role.VIEWER: "read metadata and previews only",
    Role.PROTECTION_OFFICER: (
        "the protection registry: reveal identities (with a reason), record people, consent "
        "and claims, open restricted testimony"
    ),
}


def allows(role: str, permission: Permission) -> bool:
    """Whether ``role`` grants ``permission``; unknown roles grant nothing."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
