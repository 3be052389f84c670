"""Rate limits of the API (docs/security.md, Rate limits) and the client address they key on.

Counting: DRF's own throttles read a list of timestamps from the cache and write it back, so
parallel requests each read the same list and all pass (12 parallel clients got 640 of 640
requests through at 600 a minute). Here each window of the rate has one counter in the cache,
raised with `incr`, which is atomic in Redis (and under a lock in the local-memory cache): the
N+1st request of a window is refused however many arrive at once.

Address: the client is the address `PROXY_COUNT` entries from the right of X-Forwarded-For (the
one our own proxy appended), never the whole header, which the client writes itself. DRF's
`NUM_PROXIES` and the login lockout (django-axes) both read it through `client_address`.
"""

from __future__ import annotations

import math
from typing import Any

from rest_framework import throttling


def client_address(request: Any) -> str | None:
    """The client's address as the throttles see it (DRF's rule with NUM_PROXIES = PROXY_COUNT);
    django-axes calls it too (AXES_CLIENT_IP_CALLABLE), so both count the same client."""
    return throttling.BaseThrottle().get_ident(request)


class AtomicRateThrottle(throttling.SimpleRateThrottle):
    """A fixed window of the rate's duration with one atomic counter: at most `num_requests` in
    each window, whatever the concurrency."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        counter = f"{self.key}:{window}"
        timeout = math.ceil(self.window_ends - self.now) + 1
        if self.cache.add(counter, 1, timeout=timeout):
            return True
        try:
            count = self.cache.incr(counter)
        except ValueError:  # the counter expired between the two calls: a new window
            self.cache.add(counter, 1, timeout=timeout)
            return True
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self.window_ends - self.now, 1.0)


class AnonRateThrottle(throttling.AnonRateThrottle, AtomicRateThrottle):
    """Anonymous calls (the open endpoints), per client address."""


class ScopedRateThrottle(throttling.ScopedRateThrottle, AtomicRateThrottle):
    """Views with a `throttle_scope` ("inbound"), per account."""
