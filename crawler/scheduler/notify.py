"""Tell people what a scheduled run brought, through Apprise (e-mail, Slack, Matrix,
a JSON webhook... any Apprise URL).

Off unless ``[notify] urls`` are configured. A run is worth a message when it found new
releases or list changes, or ended degraded or failed. Delivery never stops the
daemon: a notifier that fails is logged and the next run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from crawler.scheduler.config import NOTIFY_EVENTS, ConfigError
from storage.schedule import RunNews

logger = logging.getLogger("releasewatch.notify")
MAX_LINES = 10


def events(news: RunNews) -> list[str]:
    """What happened in the run, as ``NOTIFY_EVENTS`` names."""
    found = []
    if news.run.get("items_new"):
        found.append("new_releases")
    if news.list_changes:
        found.append("list_changes")
    if news.run.get("status") in ("degraded", "failed"):
        found.append(news.run["status"])
    return found


def _change_line(change: dict) -> str:
    what = {"renamed": f"{change['before']} -> {change['after']}",
            "note_changed": f"{change['item']}: {change['before'] or '-'} -> {change['after'] or '-'}"}
    return f"{change['list']}: {change['change']} {what.get(change['change'], change['item'])}"


def _capped(lines: list[str], total: int) -> list[str]:
    more = total - min(len(lines), MAX_LINES)
    return lines[:MAX_LINES] + ([f"... and {more} more"] if more > 0 else [])


def message(job: str, news: RunNews) -> tuple[str, str]:
    """``(title, body)`` of the notification for a run, in plain text."""
    run = news.run
    parts = []
    if run.get("items_new"):
        parts.append(f"{run['items_new']} new release(s)")
    if news.list_changes:
        parts.append(f"{len(news.list_changes)} list change(s)")
    status = run.get("status") or "?"
    title = f"releasewatch {job}: run {run['id']} {status.upper() if status != 'ok' else status}"
    if parts:
        title += " - " + ", ".join(parts)
    body: list[str] = []
    if status != "ok":
        body.append(f"{status}: {run.get('reason') or 'no reason recorded'}")
    if news.new_releases:
        body.append("New releases:")
        body += _capped([f"- {r['title']} ({r['published'] or 'undated'}) {r['url']}" for r in news.new_releases],
                        run.get("items_new") or len(news.new_releases))
    if news.list_changes:
        body.append("List changes:")
        body += _capped([f"- {_change_line(c)}" for c in news.list_changes], len(news.list_changes))
    body.append(f"pages={run.get('pages') or 0} new={run.get('items_new') or 0} "
                f"changed={run.get('items_changed') or 0} errors={run.get('errors') or 0} "
                f"duration={run.get('duration_s') or 0:.0f}s")
    return title, "\n".join(body)


class Notifier:
    """Sends run notifications to the configured Apprise URLs."""

    def __init__(self, urls: Sequence[str], on: Sequence[str] = NOTIFY_EVENTS):
        self.on = set(on)
        self.apprise = None
        if urls:
            import apprise

            self.apprise = apprise.Apprise()
            for number, url in enumerate(urls, 1):
                if not self.apprise.add(url):  # the URL may hold secrets: name its scheme only
                    raise ConfigError(f"[notify] urls: Apprise does not understand URL #{number} "
                                      f"({url.partition('://')[0]}://...)")

    @property
    def enabled(self) -> bool:
        return self.apprise is not None

    def send_test(self) -> bool:
        """Send a test message to every URL; whether every notifier accepted it."""
        import apprise

        return bool(self.apprise.notify(
            title="releasewatch: test notification",
            body="This is a test message from `releasewatch notify --test`: notifications reach you.",
            body_format=apprise.NotifyFormat.TEXT, notify_type=apprise.NotifyType.INFO))

    def run_finished(self, job: str, news: RunNews) -> bool | None:
        """Notify about a run if it is worth it; ``None`` when nothing was sent, else
        whether every notifier accepted the message. Never raises."""
        wanted = [e for e in events(news) if e in self.on]
        if not self.enabled or not wanted:
            return None
        import apprise

        try:
            title, body = message(job, news)
            kind = {"failed": apprise.NotifyType.FAILURE, "degraded": apprise.NotifyType.WARNING}
            sent = self.apprise.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT,
                                       notify_type=kind.get(news.run.get("status"), apprise.NotifyType.INFO))
        except Exception:  # a notifier must never take the daemon down
            logger.exception("job %s: notification for run %s raised", job, news.run["id"])
            return False
        if sent:
            logger.info("job %s: notified about run %s (%s)", job, news.run["id"], ", ".join(wanted))
        else:
            logger.warning("job %s: notification for run %s failed for at least one URL", job, news.run["id"])
        return bool(sent)
