"""`xzcrawler mirror`: serve the offline mirror (one site, or the network's twelve)."""

from __future__ import annotations

import sys
import time

import click

from ..core import normalize as nz


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on: a loopback address (127.0.0.0/8, ::1) unless --not-loopback says otherwise.",
)
@click.option(
    "--not-loopback",
    "not_loopback",
    is_flag=True,
    help="Allow a --host that other machines can reach (the mirror is a test server: think twice).",
)
@click.option("--port", default=8021, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option("--articles", default=300, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the synthetic content.")
@click.option("--now", default=None, help="The mirror's clock (ISO 8601); default: the real time.")
@click.option(
    "--epoch",
    default=None,
    help="When the content was made (ISO 8601); default: --now. Keep the first run's value to evolve the same site.",
)
@click.option("--add", default=0, show_default=True, type=click.IntRange(0), help="New articles since the epoch.")
@click.option("--grow-views", default=0, show_default=True, type=click.IntRange(0), help="Rounds of readership growth.")
@click.option("--edit", multiple=True, type=int, help="An article id whose text the site changed (repeatable).")
@click.option(
    "--break",
    "broken",
    type=click.Choice(["views", "date", "category", "body", "title"]),
    help="Break one field's markup site-wide.",
)
@click.option("--fail", multiple=True, type=int, help="An article id that answers 500 (repeatable).")
@click.option("--gone", multiple=True, type=int, help="An article id that answers a soft 404 (repeatable).")
@click.option(
    "--photo-faults", is_flag=True, help="Some body images missing (404) or broken (an HTML page, a file cut short)."
)
@click.option(
    "--delay", default=0.0, show_default=True, type=click.FloatRange(0, 60), help="Seconds before each answer."
)
@click.option(
    "--network",
    is_flag=True,
    help="Serve the sites of the network (XZ_NETWORK), each on its own loopback address (127.0.0.1, 127.0.0.2, ...) "
    "on one port, with cross-posted stories; --articles is per site. The first line out is the site list.",
)
def mirror(
    host,
    not_loopback,
    port,
    articles,
    seed,
    now,
    epoch,
    add,
    grow_views,
    edit,
    broken,
    fail,
    gone,
    photo_faults,
    delay,
    network,
):
    """Serve the bundled synthetic copy of the site over HTTP, in the foreground.

    To evolve it between crawls, start it again with the first run's --epoch and a later
    --now, plus any of --add, --grow-views, --edit, --break.
    """
    import ipaddress

    from ..mirror.server import make_server
    from ..mirror.site import MirrorSite

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not not_loopback:
        raise click.BadParameter(
            f"{host} is not a loopback address: the mirror serves on 127.0.0.1 (or 127.0.0.x, ::1); "
            "add --not-loopback to listen on another address on purpose",
            param_hint="--host",
        )
    options = dict(
        now=nz.parse_iso(now) if now else None,
        epoch=nz.parse_iso(epoch) if epoch else None,
        add=add,
        grow_views=grow_views,
        edit=tuple(edit),
        broken=broken,
        fail=tuple(fail),
        gone=tuple(gone),
        photo_faults=photo_faults,
    )
    if network:
        _serve_network(articles, seed, port, delay, options)
        return
    site = MirrorSite(articles=articles, seed=seed, **options)
    try:
        server = make_server(site, host, port, delay)
    except OSError as exc:  # the port is taken, the address is not this machine's
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port (0 picks a free one)"
        ) from None
    bound_host, bound_port = server.server_address[:2]
    click.echo(f"xzcrawler mirror: {articles} articles at http://{bound_host}:{bound_port}/ (Ctrl-C stops)", err=True)
    click.echo(f"http://{bound_host}:{bound_port}/", err=False)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _serve_network(articles: int, seed: int, port: int, delay: float, options: dict) -> None:

    from ..mirror.network import Network, serve_network

    net = Network(articles, seed=seed, **options)
    try:
        servers, urls = serve_network(net, port, delay)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on port {port}: {exc.strerror or exc}; choose another --port (0 picks a free one)"
        ) from None
    click.echo(",".join(urls))
    sys.stdout.flush()
    copies = sum(len(story) - 1 for story in net.stories())
    click.echo(
        f"xzcrawler mirror: {len(urls)} sites of {articles} articles, {copies} cross-posted copies (Ctrl-C stops)",
        err=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
