"""Per-user (or per-address) request limits, counted in Django's cache.

One fixed window per limit and key: the first request of a window creates a
counter that expires with the window (`cache.add`), every other request
increments it (`cache.incr`, atomic in Redis and in the local-memory cache), so two
processes or two tabs never both slip under the limit. A request over the
limit gets 429 with a Chinese message and Retry-After (seconds until the
window ends).

Limits are settings named in `shixun.config.conf` ("120/m", "3/h", "5/15m":
count / [number]unit, units s, m, h, d). A view is limited with the decorator,
placed under @login_required so the user is known:

    from shixun.config.ratelimit import rate_limited

    @login_required
    @require_POST
    @rate_limited("SHIXUN_RATE_LIMIT_HEARTBEAT")
    def heartbeat(request): ...

Code that limits something other than the current user (a password reset per
address) calls `hit(setting_name, key)` itself. SHIXUN_RATE_LIMITS_ENABLED =
False turns every limit off (the test settings do, so the suite's many
requests by the same user ids never trip a limit; the limits' own tests turn
it back on).
"""

import functools
import ipaddress
import math
import re
import time
from dataclasses import dataclass
from hashlib import sha256

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shixun.config.conf import shixun_settings

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """"120/m" → 120 per 60 s; "5/15m" → 5 per 900 s. A malformed setting is a configuration error."""
    match = _RATE.match(text or "")
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"A rate limit looks like '120/m' or '5/15m', not {text!r}")
    return Rate(int(match.group(1)), int(match.group(2) or 1) * UNITS[match.group(3)])


def hit(setting_name: str, key: str) -> int | None:
    """Count one request against the limit the setting names for `key`.

    None when the request may go ahead; otherwise the seconds until the
    window ends (the Retry-After). A limit set to "" or None is no limit.
    """
    return count_request(setting_name, key)[0]


def count_request(setting_name: str, key: str) -> tuple[int | None, str | None]:
    """`hit`, also returning the counter's cache key (None: no limit) for `uncount`."""
    text = getattr(shixun_settings, setting_name)
    if not shixun_settings.SHIXUN_RATE_LIMITS_ENABLED or not text:
        return None, None
    window = _Window(parse_rate(text), setting_name, key)
    return window.retry_after(_count(window.cache_key, window.timeout)), window.cache_key


class _Window:
    """The current fixed window of one limit and key: its counter's cache key, and the answer to a count."""

    def __init__(self, rate: Rate, setting_name: str, key: str):
        self.rate, self.now = rate, time.time()
        self.index = int(self.now // rate.seconds)
        digest = sha256(key.encode()).hexdigest()[:32]  # addresses and emails stay out of cache keys
        self.cache_key = f"shixun-rl:{setting_name}:{digest}:{self.index}"
        self.timeout = rate.seconds + 5

    def retry_after(self, count: int) -> int | None:
        """None while `count` is within the limit, else the seconds until the window ends."""
        if count <= self.rate.count:
            return None
        return max(1, math.ceil((self.index + 1) * self.rate.seconds - self.now))


# One round trip for the lean heartbeat: read a cache entry (its session) and count the request. Each
# command is atomic; `false` keeps an absent entry's place in the reply.
_COUNT_AND_READ = """
local value = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[2], 0, 'EX', ARGV[1], 'NX')
return {value or false, redis.call('INCR', KEYS[2])}
"""
_scripts = {}  # redis-py connection pool → the script registered with a client of it


def count_request_and_read(setting_name: str, key: str, read_key: str, alias: str = "default"):
    """`count_request`, and the value of `read_key` in cache `alias` (None when absent), in one round trip
    when both the limit's cache and that one are the same Redis (else two calls, the same answers).

    Returns (retry_after, counter key, value). The lean heartbeat reads the session with it.
    """
    text = getattr(shixun_settings, setting_name)
    backend = caches[alias]
    if (not shixun_settings.SHIXUN_RATE_LIMITS_ENABLED or not text or alias != "default"
            or not isinstance(backend, RedisCache)):
        return (*count_request(setting_name, key), caches[alias].get(read_key))
    window = _Window(parse_rate(text), setting_name, key)
    counter = backend.make_and_validate_key(window.cache_key)
    client = backend._cache.get_client(counter, write=True)
    script = _scripts.get(client.connection_pool)
    if script is None:
        script = _scripts[client.connection_pool] = client.register_script(_COUNT_AND_READ)
    raw, count = script(keys=[backend.make_and_validate_key(read_key), counter], args=[window.timeout],
                        client=client)
    value = None if raw is None else backend._cache._serializer.loads(raw)
    return window.retry_after(int(count)), window.cache_key, value


def uncount(cache_key: str | None) -> None:
    """Take back one request counted by `count_request` (the lean heartbeat path, when it finds the request
    was not the user's to count: the full stack counts it under the key it finds)."""
    if cache_key is None:
        return
    try:
        cache.decr(cache_key)
    except ValueError:  # the window's counter expired meanwhile: nothing left to take back
        pass


def _count(cache_key: str, timeout: int) -> int:
    """Add one to the window's counter (created at 0 if absent, expiring after `timeout` s); the new count.

    On Redis one round trip (SET NX EX and INCR pipelined; each is atomic, in this order): this runs on
    every limited request, the heartbeat's among them, and Django's add() + incr() takes three (its incr()
    asks EXISTS first). Other caches: add() is a no-op when the counter exists, then incr().
    """
    backend = caches["default"]  # `cache` is a proxy to it
    if isinstance(backend, RedisCache):
        key = backend.make_and_validate_key(cache_key)
        pipe = backend._cache.get_client(key, write=True).pipeline(transaction=False)
        pipe.set(key, 0, ex=timeout, nx=True)  # Django's Redis serializer stores ints as plain numbers
        pipe.incr(key)
        return int(pipe.execute()[1])
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # evicted between add and incr: this request starts the window again
        cache.add(cache_key, 1, timeout=timeout)
        return 1


def _trusted(address: str, proxies) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the last X-Forwarded-For hop it did not add.

    X-Forwarded-For is read only when REMOTE_ADDR is one of SHIXUN_TRUSTED_PROXIES (any client can
    write the header); otherwise every teacher behind the proxy would share its address and its limits.
    Login throttling (AXES_CLIENT_IP_CALLABLE) uses the same function.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = shixun_settings.SHIXUN_TRUSTED_PROXIES
    if not proxies or not _trusted(remote, proxies):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop[:45]
    return remote


def wait_message(retry_after: int) -> str:
    minutes = math.ceil(retry_after / 60)
    if retry_after < 60:
        return ngettext("Please wait %(n)d second and try again.", "Please wait %(n)d seconds and try again.",
                        retry_after) % {"n": retry_after}
    return ngettext("Please wait %(n)d minute and try again.", "Please wait %(n)d minutes and try again.",
                    minutes) % {"n": minutes}


def too_many_requests(request, retry_after: int) -> HttpResponse:
    """429 with Retry-After: JSON for scripts (the message in "error", as every JSON endpoint has it), else a page."""
    message = _("Too many requests in a short time.") + " " + wait_message(retry_after)
    accept = request.headers.get("Accept", "")
    if (
        request.content_type == "application/json"
        or "application/json" in accept
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or "text/html" not in accept
    ):
        response = JsonResponse({"error": message, "code": "rate_limited", "retry_after": retry_after}, status=429)
    else:
        html = render_to_string("shixun/rate_limited.html", {"message": message}, request=request)
        response = HttpResponse(html, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def user_key(request) -> str:
    """The signed-in user, or the client address for anonymous requests."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_address(request)}"


# WSGI environ key (never a header: those are HTTP_*) by which a lean route (config.lean_routes: the
# heartbeat, xAPI), having counted a request and then handed it to the view, tells the view's
# decorator the count's answer: {setting name: (key, retry_after or None)}. Each request counts once.
COUNTED_ENVIRON_KEY = "shixun.ratelimit.counted"


def rate_limited(setting_name: str, *, key=user_key):
    """Answer 429 (Retry-After) once the caller passes the limit the setting names (see the module docstring)."""
    getattr(shixun_settings, setting_name)  # an unknown setting fails at import, not at the first request

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            request_key = key(request)
            counted = request.META.get(COUNTED_ENVIRON_KEY, {}).get(setting_name)
            if counted is not None and counted[0] == request_key:
                retry_after = counted[1]  # counted already, for this key, by the lean heartbeat path
            else:
                retry_after = hit(setting_name, request_key)
            if retry_after is not None:
                return too_many_requests(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
