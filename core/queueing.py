"""Queueing a task for work already committed, from a request.

The row that describes the work (a reply to send, a copy to build, a purge run) is saved
first; the task only carries its id. If the broker cannot be reached, the request must not
fail over work that is not lost: the failure is logged and a periodic job queues the work again
from the database (replies_resend_unsent, resume_stalled_exports, the nightly purge).
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

# A broker that is down costs the request about a second, not a hang.
ENQUEUE_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


def enqueue_committed(task: Any, *, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> bool:
    """Queue `task`; False, logged with the task's name and arguments (ids only), when the
    broker cannot be reached."""
    try:
        task.apply_async(args, kwargs, retry=True, retry_policy=ENQUEUE_RETRY_POLICY)
    except (BrokerError, OSError) as error:
        # The error's type only: its text names hosts.
        ids = ", ".join(str(value) for value in (*args, *(kwargs or {}).values()))
        logger.warning(
            "Queueing %s for %s failed (%s): its periodic job will queue it again.",
            task.name,
            ids,
            type(error).__name__,
        )
        return False
    return True
