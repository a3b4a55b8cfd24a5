"""`agentbench sandbox ...`: build the images, list and prune agentbench containers."""

from __future__ import annotations

import click


def _client():
    from agentbench._sandboxes.docker.engine import make_client

    return make_client()


@click.group("sandbox")
def sandbox() -> None:
    """Docker sandboxes: build images, list and remove containers."""


@sandbox.command("build")
@click.argument("names", nargs=-1)
@click.option(
    "--bootstrap",
    is_flag=True,
    help="Make the base image with debootstrap if it is missing (no registry).",
)
@click.option(
    "--no-bootstrap", is_flag=True, help="Never bootstrap; fail if the base image cannot be pulled."
)
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False),
    help="CA bundle for pip inside the build.",
)
@click.option(
    "--build-arg", "build_args", multiple=True, metavar="KEY=VALUE", help="A docker build arg."
)
def build(
    names: tuple[str, ...],
    bootstrap: bool,
    no_bootstrap: bool,
    ca_bundle: str | None,
    build_args: tuple[str, ...],
) -> None:
    """Build agentbench images (all when no NAME is given), reusing docker's layer cache.

    Without a registry the base image is bootstrapped automatically (debootstrap, as root).
    """
    from agentbench._sandboxes.docker import images

    args = {}
    for item in build_args:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--build-arg")
        args[key] = value
    client = _client()
    mode = True if bootstrap else (False if no_bootstrap else None)
    for name in names or images.known_images():
        click.echo(f"building {images.REPO}/{name}:latest ...", err=True)
        report = images.build_image(
            client,
            name,
            bootstrap=mode,
            ca_bundle=ca_bundle,
            build_args=args,
            echo=lambda s: click.echo(s, err=True),
        )
        click.echo(report.summary())


@sandbox.command("list")
def list_() -> None:
    """Show agentbench's images and containers (with whether their creating process lives)."""
    from agentbench._sandboxes.docker import cleanup, images

    client = _client()
    for name in images.known_images():
        ref = images.image_ref(name)
        if images.image_exists(client, ref):
            info = client.api.inspect_image(ref)
            click.echo(
                f"image {ref:32} {info['Id'][7:19]}  {info.get('Size', 0) / 1e6:.0f} MB  "
                f"{info.get('Created', '')[:19]}"
            )
        else:
            click.echo(f"image {ref:32} not built (agentbench sandbox build {name})")
    containers = cleanup.list_containers(client)
    for c in containers:
        owner = "alive" if c.owner_alive else "gone"
        click.echo(
            f"container {c.name:36} {c.status:24} run={c.run} pid={c.pid}({owner}) {c.episode}"
        )
    if not containers:
        click.echo("no agentbench containers")


@sandbox.command("prune")
@click.option(
    "--all", "all_", is_flag=True, help="Remove every agentbench container, also of live runs."
)
@click.option("--run", "run_id", help="Only containers of this run.")
def prune(all_: bool, run_id: str | None) -> None:
    """Remove agentbench containers whose creating process is gone (--all: also live ones)."""
    from agentbench._sandboxes.docker import cleanup

    removed = cleanup.prune(_client(), all_=all_, run_id=run_id)
    click.echo(f"removed {len(removed)} container(s)")
    for c in removed:
        click.echo(f"  {c.name} (run {c.run}, pid {c.pid})")
