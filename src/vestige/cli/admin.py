"""Commands that set up and run an instance: init, users, cases, keys, demo, serve, worker."""

from __future__ import annotations

import secrets
import sys
from dataclasses import asdict
from pathlib import Path

import click

from ..cases.roles import ROLE_DESCRIPTIONS, Role
from ..core.errors import NotFound, UserError
from .base import cli_actor, emit_json, setup_django


@click.command("init")
def init_command() -> None:
    """Create the data folder, the keys and the database (safe to run again).

    Example:

        VESTIGE_DATA_DIR=/srv/vestige vestige init
    """
    setup_django(migrate=False)
    from django.conf import settings
    from django.core.management import call_command

    from ..evidence.keys import instance_key
    from ..protection import keys as protection_keys

    call_command("migrate", interactive=False, verbosity=0)
    key = instance_key()
    ring = protection_keys.keyring()
    where = (
        "from VESTIGE_PROTECTION_KEY"
        if protection_keys.from_environment()
        else f"{protection_keys.key_path()}; back it up apart from the database"
    )
    click.echo(f"data folder: {settings.DATA_DIR}")
    click.echo(f"database:    {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    click.echo(f"signing key: {key.key_id} ({settings.SIGNING_KEY_PATH})")
    click.echo(f"protection key: {ring.current_id} ({where})")


@click.group("user")
def user_group() -> None:
    """Manage user accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Give the account access to the admin site.")
@click.option("--if-missing", is_flag=True, help="Do nothing if the account already exists.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(username: str, admin: bool, if_missing: bool, password_stdin: bool) -> None:
    """Create an account. Without --password-stdin a random password is printed once.

    Example:

        vestige user create amira
    """
    setup_django()
    from django.contrib.auth import get_user_model

    model = get_user_model()
    if model.objects.filter(username=username).exists():
        if if_missing:
            click.echo(
                f"user {username} exists (set a new password: vestige user password {username})"
            )
            return
        raise UserError(f"user {username!r} exists already")
    password = sys.stdin.readline().strip() if password_stdin else secrets.token_urlsafe(15)
    if not password:
        raise UserError("empty password")
    if admin:
        model.objects.create_superuser(username=username, password=password, email="")
    else:
        model.objects.create_user(username=username, password=password)
    click.echo(f"created user {username}")
    if not password_stdin:
        click.echo(f"password: {password}   (shown once; keep it safe)")


@user_group.command("password")
@click.argument("username")
def user_password(username: str) -> None:
    """Give an account a new random password, printed once.

    Example:

        vestige user password admin
    """
    setup_django()
    from django.contrib.auth import get_user_model

    account = get_user_model().objects.filter(username=username).first()
    if account is None:
        raise NotFound(f"no user {username!r}")
    password = secrets.token_urlsafe(15)
    account.set_password(password)
    account.save()
    click.echo(f"new password for {username}: {password}   (shown once)")


@click.group("case")
def case_group() -> None:
    """Create and list cases, and manage their members."""


@case_group.command("create")
@click.argument("slug")
@click.option("--title", required=True, help="A human-readable title.")
@click.option("--description", default="", help="What the case is about.")
@click.option("--owner", default=None, help="Account that owns the case (default: the only admin).")
def case_create(slug: str, title: str, description: str, owner: str | None) -> None:
    """Create a case.

    Example:

        vestige case create nk-2023 --title "Nagorno-Karabakh, September 2023" --owner amira
    """
    setup_django()
    from ..cases.services import create_case

    case = create_case(slug, title, description=description, owner=owner)
    click.echo(f"created case {case.slug}")


@case_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the cases as JSON.")
def case_list(as_json: bool) -> None:
    """List every case with its number of items and members.

    Example:

        vestige case list --json
    """
    setup_django()
    from django.db.models import Count

    from ..cases.models import Case

    cases = Case.objects.annotate(
        n_items=Count("items", distinct=True), n_members=Count("memberships", distinct=True)
    ).order_by("slug")
    rows = [
        {
            "slug": c.slug,
            "title": c.title,
            "items": c.n_items,
            "members": c.n_members,
            "created_at": c.created_at.isoformat(),
        }
        for c in cases
    ]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no cases yet: vestige case create SLUG --title TITLE")
    for row in rows:
        click.echo(
            f"{row['slug']:<30} {row['items']:>7} items  {row['members']:>3} members  "
            f"{row['title']}"
        )


@case_group.command("add-member")
@click.argument("slug")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="What the member may do: " + "; ".join(
        f"{role.value}: {text}" for role, text in ROLE_DESCRIPTIONS.items()
    ),
)
def case_add_member(slug: str, username: str, role: str) -> None:
    """Give an account a role in a case (or change its role).

    Example:

        vestige case add-member nk-2023 amira --role investigator
    """
    setup_django()
    from ..cases.services import set_member

    set_member(slug, username, role)
    click.echo(f"{username} is {role} in {slug}")


@click.group("keys")
def keys_group() -> None:
    """The instance's signing key and the protection key ring."""


@keys_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the key as JSON.")
def keys_show(as_json: bool) -> None:
    """Print the instance's Ed25519 public key (PEM) and its id.

    Publish it, so that anyone can check bundles and custody logs you hand over.

    Example:

        vestige keys show > vestige-public-key.pem
    """
    setup_django(migrate=False)
    from ..evidence.keys import instance_key

    key = instance_key()
    if as_json:
        emit_json(
            {"key_id": key.key_id, "algorithm": "Ed25519", "public_key_pem": key.public_pem()}
        )
        return
    click.echo(key.public_pem(), nl=False)
    click.echo(f"key id: {key.key_id}", err=True)


@keys_group.command("rotate")
@click.option(
    "--new-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the new key ring when the key comes from VESTIGE_PROTECTION_KEY "
    "(required then; install the file's contents as VESTIGE_PROTECTION_KEY afterwards).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def keys_rotate(new_key_file: Path | None, as_json: bool) -> None:
    """Re-seal every protected identity under a new protection key.

    A new key is generated and written to the key file next to the current one; then, in one
    database transaction, every sealed identity and household is re-sealed under it (and
    checked), and every match key recomputed. Only after that commits is the new key made
    current and the old one retired (dropped from the file). If the command is interrupted,
    the data stays readable; run it again to finish. Take a new backup of the key file with
    the database afterwards: a database backup from before the rotation needs the old key.

    Example:

        vestige keys rotate
    """
    setup_django()
    from ..protection.services import rotate_keys

    report = rotate_keys(key_file=new_key_file, label=cli_actor())
    if as_json:
        emit_json(asdict(report))
        return
    click.echo(
        f"re-sealed {report.people} people and {report.households} households, "
        f"recomputed {report.match_keys} match keys"
    )
    click.echo(f"protection key {report.old_key_id} retired; now {report.new_key_id}")
    click.echo(f"key ring: {report.key_file}")


@click.command("demo")
@click.option("--owner", default="admin", help="Account that owns the demo case.")
def demo_command(owner: str) -> None:
    """Load the demonstration case (files Vestige writes itself); safe to run again.

    Example:

        vestige demo --owner admin
    """
    setup_django()
    from ..demo.loader import load_demo

    summary = load_demo(owner=owner, actor=cli_actor())
    click.echo(summary)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Request threads.")
def serve_command(host: str, port: int, threads: int) -> None:
    """Serve the web app and the API (waitress).

    Example:

        vestige serve --port 8000
    """
    setup_django()
    from waitress import serve  # type: ignore[import-untyped,unused-ignore]

    from ..wsgi import application

    click.echo(f"Vestige is serving on http://{host}:{port}/  (Ctrl-C to stop)")
    serve(
        application,
        host=host,
        port=port,
        threads=threads,
        ident="vestige",
        max_request_body_size=2**40,
    )


@click.command("worker")
@click.option("--batch", is_flag=True, help="Run the queued tasks, then stop.")
def worker_command(batch: bool) -> None:
    """Run background tasks queued by the web app, the API and other commands.

    On start it requeues web captures whose run was interrupted (see `vestige capture`) and,
    unless --batch, starts the schedule of watched sources (see `vestige watch`).

    Example:

        vestige worker
    """
    setup_django()
    from django.core.management import call_command

    from ..capture.tasks import resume_interrupted

    requeued = resume_interrupted()
    if requeued:
        click.echo(f"resuming {requeued} interrupted web capture(s)", err=True)
    from ..watch.tasks import ensure_scheduled

    if not batch:
        ensure_scheduled()  # the watched-sources schedule (one self-renewing task)
    args = ["--batch", "--no-startup-delay"] if batch else []
    call_command("db_worker", *args)


def register(group: click.Group) -> None:
    for command in (
        init_command,
        user_group,
        case_group,
        keys_group,
        demo_command,
        serve_command,
        worker_command,
    ):
        group.add_command(command)
