"""The ``vestige`` command line: thin verbs over the same services the web and API use."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..core.errors import UserError, VestigeError
from .base import VestigeGroup

main = VestigeGroup(
    name="vestige",
    help=(
        "Vestige: preserve evidence of atrocities and turn it into accountability.\n\n"
        "Every command honours VESTIGE_DATA_DIR (default ./vestige-data) and DATABASE_URL."
    ),
)

from . import admin, evidence  # noqa: E402  (registers the commands)

admin.register(main)
evidence.register(main)

from . import tokens  # noqa: E402

tokens.register(main)

from . import graph  # noqa: E402

graph.register(main)

from . import search  # noqa: E402

search.register(main)

from . import casegraph  # noqa: E402

casegraph.register(main)

from . import registry  # noqa: E402

registry.register(main)

from . import capture  # noqa: E402

capture.register(main)

from . import verification  # noqa: E402

verification.register(main)

from . import corroboration  # noqa: E402

corroboration.register(main)

from . import sanctions  # noqa: E402

sanctions.register(main)


from . import law  # noqa: E402

law.register(main)


from . import screening  # noqa: E402

screening.register(main)


from . import dossier  # noqa: E402

dossier.register(main)

from . import watch  # noqa: E402

watch.register(main)

from . import agreements  # noqa: E402

agreements.register(main)


def run(argv: list[str] | None = None) -> Any:
    """Entry point that turns user errors into one line and exit code 2."""
    try:
        return main.main(args=argv, standalone_mode=True)
    except UserError as exc:  # raised outside click's invoke (rare)
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except VestigeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
