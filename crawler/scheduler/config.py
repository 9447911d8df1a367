"""The scheduler's configuration: a TOML file (``releasewatch.toml``) plus command-line
overrides, checked before anything runs so a typo is an error, not a silent default.

::

    [scheduler]
    db = "releasewatch.db"
    timeout = "1h"

    [jobs.osce]
    every = "30m"
    jitter = "2m"
    settings = { OSCE_BASE_URL = "https://www.osce.org" }

Durations are seconds (a number) or text such as ``90s``, ``15m``, ``1h30m``, ``1d``.
Without a ``[jobs]`` table the default jobs run: osce every 30 minutes, un_news every
15 minutes, un_press every 30 minutes. A file with ``[jobs]`` runs exactly those jobs.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from storage.schema import DEFAULT_DB
from storage.sources import default_every, unknown_source

DEFAULT_CONFIG = "releasewatch.toml"
DEFAULT_EVERY = default_every()  # storage/sources.py
NOTIFY_EVENTS = ("new_releases", "list_changes", "degraded", "failed")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")


class ConfigError(ValueError):
    """The configuration (file or command line) is not valid; the message says where."""


@dataclass(frozen=True)
class JobConfig:
    """One scheduled crawl: a spider with its arguments, settings and schedule."""

    name: str
    spider: str
    every: float | None = None  # seconds, or
    cron: str | None = None  # a crontab line, e.g. "*/15 * * * *"
    jitter: float | None = None  # None: a tenth of the interval, at most 60 s; cron: 0; never over a quarter
    timeout: float = 3600.0
    args: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def schedule(self) -> str:
        """The schedule as people read it: ``every 30m`` or ``cron */5 * * * *``."""
        return f"cron {self.cron}" if self.cron else f"every {format_duration(self.every)}"

    @property
    def jitter_s(self) -> float:
        """Seconds of random delay per fire, at most a quarter of the interval (``--every
        osce=1m`` with the shipped ``jitter = "1m"`` would otherwise double the interval)."""
        if self.jitter is not None:
            return min(self.jitter, self.every / 4) if self.every else self.jitter
        return min(60.0, self.every / 10) if self.every else 0.0


@dataclass(frozen=True)
class NotifyConfig:
    """Apprise URLs to tell about runs, and which events are worth telling."""

    urls: tuple[str, ...] = ()
    on: tuple[str, ...] = NOTIFY_EVENTS


@dataclass(frozen=True)
class ScheduleConfig:
    db: str = DEFAULT_DB
    timezone: str = "UTC"
    grace: float = 60.0  # seconds a running crawl may take to finish on SIGTERM/SIGINT
    close_timeout: float = 10.0  # seconds a crawl told to stop may take to close, then SIGKILL
    misfire_grace_time: float = 300.0
    log_file: str | None = None
    log_max_bytes: int = 10_000_000
    log_backups: int = 5
    jobs: tuple[JobConfig, ...] = ()
    notify: NotifyConfig = NotifyConfig()
    timeout: float = 3600.0  # [scheduler] timeout: for jobs added later (watches)
    settings: dict[str, str] = field(default_factory=dict)  # [settings]: likewise

    def job(self, name: str) -> JobConfig:
        for job in self.jobs:
            if job.name == name:
                return job
        raise ConfigError(f"no job {name!r} in the configuration (jobs: {', '.join(j.name for j in self.jobs)})")


def parse_duration(value: Any, where: str = "duration") -> float:
    """Seconds from ``90``, ``"90s"``, ``"15m"``, ``"1h30m"`` or ``"1d"``."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected a duration such as 15m, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        try:
            seconds = float(text)
        except ValueError:
            parts = _DURATION.findall(text)
            if not parts or _DURATION.sub("", text).strip():
                raise ConfigError(f"{where}: {value!r} is not a duration (examples: 90s, 15m, 1h30m)") from None
            seconds = sum(float(n) * _UNITS[unit] for n, unit in parts)
    if seconds < 0:
        raise ConfigError(f"{where}: {value!r} is negative")
    return seconds


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = round(seconds)
    for unit, size in _UNITS.items():
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _weekday(token: str) -> int:
    if token[:3] in _WEEKDAYS:
        return _WEEKDAYS.index(token[:3])
    day = int(token)
    if not 0 <= day <= 7:
        raise ValueError(f"day of week {day} is not 0-7")
    return day


def _crontab_weekdays(spec: str) -> str:
    """A crontab day-of-week field as APScheduler day names.

    crontab counts 0 (or 7) as Sunday; APScheduler 3 counts 0 as Monday (its
    ``from_crontab`` keeps that mismatch), so numbers are translated to names here.
    """
    if spec == "*":
        return spec
    days: set[int] = set()
    for part in spec.lower().split(","):
        span, _, step = part.partition("/")
        if span == "*":
            low, high = 0, 6
        elif "-" in span:
            low, high = (_weekday(t) for t in span.split("-", 1))
        else:
            low = high = _weekday(span)
            high = 7 if step else high
        days.update(day % 7 for day in range(low, high + 1, int(step or 1)))
    return ",".join(_WEEKDAYS[day] for day in sorted(days))


def cron_trigger(expr: str, *, timezone: str = "UTC", jitter: float | None = None) -> CronTrigger:
    """A trigger for a standard crontab line (``minute hour day month day-of-week``)."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month day-of-week), got {len(fields)}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                       day_of_week=_crontab_weekdays(weekday), timezone=timezone, jitter=jitter)


def check_cron(expr: str, where: str) -> str:
    try:
        cron_trigger(expr)
    except ValueError as exc:
        raise ConfigError(f"{where}: {expr!r} is not a crontab expression ({exc})") from None
    return expr


_JOB_KEYS = {"spider", "every", "cron", "jitter", "timeout", "args", "settings", "enabled"}
_SCHEDULER_KEYS = {"db", "timezone", "grace", "close_timeout", "misfire_grace_time", "timeout",
                   "log_file", "log_max_bytes", "log_backups"}
_TOP_KEYS = {"scheduler", "settings", "jobs", "notify"}


def _table(value: Any, where: str) -> dict:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a table, got {value!r}")
    return dict(value)


def _unknown(table: Mapping, allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})")


def _strings(table: Mapping, where: str) -> dict[str, str]:
    return {str(k): str(int(v) if isinstance(v, bool) else v) for k, v in _table(table, where).items()}


def _job(name: str, raw: Any, *, timeout: float, settings: dict[str, str]) -> JobConfig | None:
    where = f"[jobs.{name}]"
    raw = _table(raw, where)
    _unknown(raw, _JOB_KEYS, where)
    if not raw.get("enabled", True):
        return None
    if "every" in raw and "cron" in raw:
        raise ConfigError(f"{where}: set either every or cron, not both")
    every = parse_duration(raw["every"], f"{where} every") if "every" in raw else None
    cron = check_cron(str(raw["cron"]), f"{where} cron") if "cron" in raw else None
    if every is None and cron is None:
        every = DEFAULT_EVERY.get(name)
        if every is None:
            raise ConfigError(f"{where}: set every (e.g. every = \"30m\") or cron")
    if every is not None and every <= 0:
        raise ConfigError(f"{where} every: must be more than 0 seconds")
    spider = str(raw.get("spider", name))
    if (unknown := unknown_source(spider)) is not None:
        raise ConfigError(f"{where} spider: {unknown}")
    return JobConfig(
        name=name, spider=spider, every=every, cron=cron,
        jitter=parse_duration(raw["jitter"], f"{where} jitter") if "jitter" in raw else None,
        timeout=parse_duration(raw["timeout"], f"{where} timeout") if "timeout" in raw else timeout,
        args=_strings(raw.get("args", {}), f"{where} args"),
        settings={**settings, **_strings(raw.get("settings", {}), f"{where} settings")},
    )


def parse_config(raw: Mapping[str, Any]) -> ScheduleConfig:
    """A checked configuration from the parsed TOML document."""
    _unknown(raw, _TOP_KEYS, "configuration")
    sched = _table(raw.get("scheduler", {}), "[scheduler]")
    _unknown(sched, _SCHEDULER_KEYS, "[scheduler]")
    timeout = parse_duration(sched.get("timeout", 3600), "[scheduler] timeout")
    settings = _strings(raw.get("settings", {}), "[settings]")
    jobs_raw = _table(raw["jobs"], "[jobs]") if "jobs" in raw else {name: {} for name in DEFAULT_EVERY}
    jobs = [_job(name, spec, timeout=timeout, settings=settings) for name, spec in jobs_raw.items()]
    notify = _table(raw.get("notify", {}), "[notify]")
    _unknown(notify, {"urls", "on"}, "[notify]")
    on = tuple(notify.get("on", NOTIFY_EVENTS))
    if set(on) - set(NOTIFY_EVENTS):
        raise ConfigError(f"[notify] on: unknown event(s) {sorted(set(on) - set(NOTIFY_EVENTS))} "
                          f"(events: {', '.join(NOTIFY_EVENTS)})")
    timezone = str(sched.get("timezone", "UTC"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"[scheduler] timezone: unknown time zone {timezone!r} (e.g. UTC, Europe/Vienna)") from None
    urls = notify.get("urls", [])
    if isinstance(urls, str):
        urls = [urls]
    return ScheduleConfig(
        db=str(sched.get("db", DEFAULT_DB)), timezone=timezone,
        grace=parse_duration(sched.get("grace", 60), "[scheduler] grace"),
        close_timeout=parse_duration(sched.get("close_timeout", 10), "[scheduler] close_timeout"),
        misfire_grace_time=parse_duration(sched.get("misfire_grace_time", 300), "[scheduler] misfire_grace_time"),
        log_file=sched.get("log_file") or None,
        log_max_bytes=int(sched.get("log_max_bytes", 10_000_000)),
        log_backups=int(sched.get("log_backups", 5)),
        jobs=tuple(job for job in jobs if job is not None),
        notify=NotifyConfig(urls=tuple(str(u) for u in urls if u), on=on),
        timeout=timeout, settings=settings,
    )


def load_config(path: str | os.PathLike | None = None) -> ScheduleConfig:
    """The configuration from ``path``; without one, ``releasewatch.toml`` in the current
    directory if there is one, else the defaults."""
    if path is None:
        if not Path(DEFAULT_CONFIG).exists():
            return parse_config({})
        path = DEFAULT_CONFIG
    try:
        with open(path, "rb") as file:
            raw = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return parse_config(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def with_overrides(
    config: ScheduleConfig, *, db: str | None = None, every: Mapping[str, str] | None = None,
    cron: Mapping[str, str] | None = None, settings: Mapping[str, str] | None = None,
    notify_urls: tuple[str, ...] = (), log_file: str | None = None,
) -> ScheduleConfig:
    """The configuration with command-line overrides applied (``--every osce=10m`` ...)."""
    jobs = {job.name: job for job in config.jobs}
    for name, value in (every or {}).items():
        seconds = parse_duration(value, f"--every {name}")
        if seconds <= 0:
            raise ConfigError(f"--every {name}: must be more than 0 seconds")
        jobs[name] = replace(config.job(name), every=seconds, cron=None)
    for name, value in (cron or {}).items():
        jobs[name] = replace(config.job(name), cron=check_cron(value, f"--cron {name}"), every=None)
    if settings:
        jobs = {name: replace(job, settings={**job.settings, **settings}) for name, job in jobs.items()}
    notify = replace(config.notify, urls=config.notify.urls + tuple(notify_urls))
    return replace(config, db=db or config.db, jobs=tuple(jobs.values()), notify=notify,
                   log_file=log_file or config.log_file)
