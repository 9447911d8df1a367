"""Memory of an idle scheduler daemon: peak RSS of a process that imports the scheduler
module and builds what it can, then idles (its own ``VmHWM``).

The crawl's own peak RSS is measured by ``bench.crawl`` on the full crawl.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from bench.report import Report, check

ROOT = Path(__file__).resolve().parent.parent
DAEMON_RSS_GOAL_MB = 60
MODULE = "crawler.scheduler.daemon"
# Import the scheduler, build its APScheduler object if the module offers a builder,
# and idle for a moment as the daemon would between jobs.
IDLE = f"""
import time, {MODULE} as module
for name in ("build_scheduler", "make_scheduler", "create_scheduler"):
    builder = getattr(module, name, None)
    if builder is not None:
        try:
            builder()
        except TypeError:
            pass
        break
time.sleep(1.0)
# VmHWM: this process image's own peak. (The child's ru_maxrss from wait4 keeps the
# high-water mark across exec, so it reports the benchmark's own size when that is larger.)
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


def idle_rss_mb() -> float | None:
    """Peak RSS of the idle daemon process in MB (None when there is no scheduler module)."""
    if importlib.util.find_spec(MODULE) is None:
        return None
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", IDLE], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the idle scheduler process exited {proc.returncode}: {proc.stderr[-300:]}")
    return int(proc.stdout.split()[-1]) / 1024  # kB


def run(report: Report, smoke: bool) -> None:
    rss = idle_rss_mb()
    report.details["memory"] = {"daemon_module": MODULE, "daemon_rss_mb": rss}
    report.add(check("memory", "peak RSS of the idle scheduler daemon", rss, "MB",
                     f"< {DAEMON_RSS_GOAL_MB} MB", lambda v: v < DAEMON_RSS_GOAL_MB,
                     note="" if rss is not None else f"{MODULE} does not exist yet"))
