"""The operations layer between widgets and services: QThread lanes, jobs, progress bridge.

The only non-GUI module allowed to import Qt. See `runner.JobRunner`.
"""

from bookkeeper_desktop.jobs.bridge import WorkerQuestion
from bookkeeper_desktop.jobs.runner import (
    LANES,
    SHOW_AFTER_MS,
    Job,
    JobRunner,
    JobState,
    LaneName,
    is_expected_error,
)

__all__ = [
    "LANES", "SHOW_AFTER_MS", "Job", "JobRunner", "JobState", "LaneName", "WorkerQuestion",
    "is_expected_error",
]
