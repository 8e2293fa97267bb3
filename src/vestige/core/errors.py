"""The exception hierarchy of Vestige.

::

    VestigeError                 root: every error Vestige raises on purpose
    ├── UserError                bad input from a person: the CLI prints one line and exits 2
    │   ├── NotFound             a case, item or file that does not exist (or is not visible)
    │   └── PermissionDenied     the user's role does not allow the action
    ├── IntegrityError           stored evidence or its record does not check out
    ├── ImmutableRecordError     an attempt to change or delete an append-only record
    └── ExtractionError          a stage could not read a file (recorded on the item)
"""

from __future__ import annotations


class VestigeError(Exception):
    """Root of every error Vestige raises on purpose."""


class UserError(VestigeError):
    """Bad input from a person; shown as one clear line, never as a traceback."""


class NotFound(UserError):
    """A case, item or path that does not exist or that the user may not see."""


class PermissionDenied(UserError):
    """The user's role in the case does not allow this action."""


class IntegrityError(VestigeError):
    """Stored bytes or their custody record do not match what was recorded."""


class ImmutableRecordError(VestigeError):
    """An append-only record (custody event, original) was asked to change."""


class ExtractionError(VestigeError):
    """A pipeline stage could not read or process a file."""
