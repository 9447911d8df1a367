"""The ``releasewatch`` command: a click group whose subcommands are loaded when run.

Every command is registered the same way, in :data:`COMMANDS` (name -> module and
attribute); ``releasewatch <command>`` imports only that command's module, so the
reading commands, the scheduler daemon and the ingester never load Scrapy or Twisted
(import contracts in pyproject.toml).
"""

from __future__ import annotations

import importlib

import click

COMMANDS = {
    "crawl": "crawler.cli.crawl:crawl_command",
    "demo": "crawler.cli.demo:demo_command",
    "changes": "crawler.cli.changes:changes_command",
    "schedule": "crawler.cli.schedule:schedule_command",
    "status": "crawler.cli.schedule:status_command",
    "serve": "crawler.cli.serve:serve_command",
    "ingest": "crawler.cli.distributed:ingest_command",
    "seed": "crawler.cli.distributed:seed_command",
    "localsite": "crawler.cli.localsite:localsite_command",
    "search": "crawler.cli.reading:search_command",
    "show": "crawler.cli.reading:show_command",
    "diff": "crawler.cli.reading:diff_command",
    "check": "crawler.cli.ops:check_command",
    "notify": "crawler.cli.ops:notify_command",
    "prune": "crawler.cli.ops:prune_command",
    "watch": "crawler.cli.watch:watch_command",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when the subcommand is used."""

    def __init__(self, *args, lazy: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.lazy:
            return super().get_command(ctx, name)
        module, _, attribute = self.lazy[name].partition(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(package_name="releasewatch")
def main() -> None:
    """Watch OSCE and UN press releases: crawl, deduplicate, track lists, browse."""


if __name__ == "__main__":
    main()
