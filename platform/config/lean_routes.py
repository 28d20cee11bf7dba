"""Lean routes: the most frequent JSON POSTs answered in front of Django's handler, by a WSGI route.

Two requests make most of the site's load (issue 13: study-time heartbeats, ≥ 1,000/s; issue 18: H5P xAPI
statements, ≥ 500/s). Each one's own work is one or two statements; through Django's handler most of
their CPU went to the request around them (bench/ANALYSIS.md, "heartbeats", "xAPI"). `LeanRoutes`
answers ONLY the ordinary request of each route with the same checks as the full stack, run by Django's
own code on a WSGIRequest. The shared part, here:

- host: `request.get_host()` (ALLOWED_HOSTS); the H5P content host is handed over (its middleware
  answers it); SecurityMiddleware's and CommonMiddleware's process_request (an SSL redirect, PREPEND_WWW,
  a disallowed user agent: handed over);
- the body: JSON (`application/json`, within the route's size), read once and restored when handed over;
- the session by SessionMiddleware (the configured SessionStore), the language by LocaleMiddleware;
- CSRF by CsrfViewMiddleware itself (Origin, Referer on HTTPS, the masked token against the cookie or
  session secret), with only its rejection changed: handed over instead of answered, so the view's stack
  answers and logs it once; a (secret, token) pair it accepted is remembered, not unmasked again;
- the user as `django.contrib.auth.get_user` checks it (backend still configured, the backend's
  get_user — active users only —, the session's auth hash against the current password's), without
  its writes: any mismatch is handed over, and the full stack flushes or cycles the session; a learner
  checked so once is remembered (`_learner`), and the route's write itself checks the user row;
- the per-user limit counted once, as the view's decorator counts it (`ratelimit.hit`, key "user:<pk>",
  the route's setting); a request handed over after counting carries the answer to the decorator
  (COUNTED_ENVIRON_KEY); for a learner seen before, with the session read in the same Redis script, sent
  on a redis-py client kept per thread (`_count_and_read`);
- the answer through the response side of the middlewares that act on it (table below), with
  X-Request-ID, the latency metric and the access log line.

The per-route part (`LeanRoute`): the URL name and its integer arguments, the switch, the limit's
setting and the body's size; `parse` (the body's form), `write` (the route's own statement, which writes
only for the ordinary request and otherwise writes nothing and returns None) and `answer` (the view's
body). The routes: `shixun.config.lean_heartbeat.HeartbeatRoute` (SHIXUN_LEAN_HEARTBEAT) and
`shixun.assessments.h5p.lean.XapiRoute` (SHIXUN_LEAN_XAPI).

Everything else is handed to Django's handler unchanged (the WSGI environ as it came, the body restored),
with nothing written before: not a POST, another path or host, no or an invalid session, a user
deactivated or whose password changed, bad CSRF, a body that is not the route's JSON, the rate limit hit,
whatever the route's write declines, a session the first-login or printable-password middleware would act
on, and any exception before the write. So messages and behaviour stay the view's, and there is one rule.

A middleware in settings.MIDDLEWARE that MIDDLEWARE_ON_A_LEAN_ROUTE does not list turns the routes off
(every request goes to Django; logged once) — and tests/courses/test_lean_heartbeat.py fails — until it is
added there with what it does on these requests.

Each route's path comes from `reverse()`, so it follows a host site's prefix.
A host site wraps its WSGI application: `application = with_lean_routes(get_wsgi_application())`
(`with_lean_heartbeat`, its earlier name, is the same).
"""

import logging
import os
import re
import threading
from hashlib import sha1
from io import BytesIO

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.middleware import SessionMiddleware
from django.core import signals
from django.core.cache import caches
from django.core.exceptions import DisallowedHost, PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_path_info, get_script_name
from django.db import connections
from django.http import JsonResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware, InvalidTokenFormat
from django.middleware.locale import LocaleMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import ResolverMatch, get_script_prefix, resolve, reverse, set_script_prefix, set_urlconf
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string
from redis.exceptions import NoScriptError

from shixun.config import logs
from shixun.config.conf import shixun_settings
from shixun.config.ratelimit import (
    _COUNT_AND_READ,
    COUNTED_ENVIRON_KEY,
    _Window,
    count_request,
    count_request_and_read,
    parse_rate,
    uncount,
)

logger = logging.getLogger(__name__)

# The routes, in the order their paths are tried (each `LeanRoute`; a route whose URL the site does not have
# stays off, the others work).
ROUTES = (
    "shixun.config.lean_heartbeat.HeartbeatRoute",
    "shixun.assessments.h5p.lean.XapiRoute",
)

# What each middleware of the stack does on a lean route's ordinary request (a heartbeat, an xAPI statement),
# and so what the lean path does in its place.
#   "checked":   its request side is run (or its condition checked) first; where it would act, hand over.
#   "run":       its process_request/process_view/process_response are called, Django's own code.
#   "response":  it acts on the answer only; applied to the lean answer, in the stack's order.
#   "context":   reproduced through the functions it is made of (config.logs.begin/finish_request).
#   "not needed": it does nothing on this request; the reason says why.
MIDDLEWARE_ON_A_LEAN_ROUTE = {
    "shixun.assessments.h5p.middleware.ContentOriginMiddleware": (
        "checked", "a request to the H5P content host is handed over; the middleware answers it (405 to a POST)"),
    "shixun.config.logs.RequestContextMiddleware": (
        "context", "request id, X-Request-ID, latency metric and access log line, by its own functions"),
    "shixun.config.health.HealthCheckMiddleware": (
        "not needed", "answers /healthz and /readyz only, never a lean route's path"),
    "django.middleware.security.SecurityMiddleware": (
        "run", "process_request (an SSL redirect is handed over) and process_response (HSTS, nosniff, ...)"),
    "whitenoise.middleware.WhiteNoiseMiddleware": (
        "not needed", "serves only the files of its table below STATIC_URL, never a lean route's path"),
    "django.contrib.sessions.middleware.SessionMiddleware": (
        "run", "the configured SessionStore; process_response (Vary: Cookie; saves only a modified session)"),
    "django.middleware.locale.LocaleMiddleware": (
        "run", "the learner's language for the answer's text; Content-Language and Vary"),
    "django.middleware.common.CommonMiddleware": (
        "run", "process_request (a disallowed user agent or a PREPEND_WWW redirect is handed over); "
               "process_response (Content-Length)"),
    "django.middleware.csrf.CsrfViewMiddleware": (
        "run", "process_request, process_view (a rejection is handed over, unanswered and unlogged), "
               "process_response (a cookie to rotate)"),
    "django.contrib.auth.middleware.AuthenticationMiddleware": (
        "checked", "get_user's checks without its session writes; any doubt is handed over"),
    "shixun.themes.middleware.CachedSiteMiddleware": (
        "not needed", "acts on GET and HEAD only"),
    "shixun.schools.printable_passwords.PurgeExpiredPasswordsMiddleware": (
        "checked", "a session holding printable passwords is handed over (the middleware may purge them)"),
    "shixun.accounts.first_login.FirstLoginMiddleware": (
        "checked", "a session flagged for a first-login password change is handed over (it may redirect)"),
    "django.contrib.messages.middleware.MessageMiddleware": (
        "not needed", "neither view adds or reads a message, so its storage neither writes nor sets a cookie"),
    "django.middleware.clickjacking.XFrameOptionsMiddleware": (
        "response", "X-Frame-Options (SAMEORIGIN) on the answer"),
    "shixun.themes.middleware.SecurityHeadersMiddleware": (
        "response", "Permissions-Policy and Content-Security-Policy"),
    "wagtail.contrib.redirects.middleware.RedirectMiddleware": (
        "not needed", "acts on 404 answers only; the lean path answers 200"),
    "axes.middleware.AxesMiddleware": (
        "not needed", "acts only on a login attempt the axes handler locked out (request.axes_locked_out)"),
}

_COUNT_AND_READ_SHA = sha1(_COUNT_AND_READ.encode(), usedforsecurity=False).hexdigest()  # redis-py Script's name
MEMO_SIZE = 50_000  # learners remembered per process (see LeanRoutes._learner); then it starts again
_SENTINELS = (8_642_097_531, 8_642_097_533)  # ids no test or site has: mark where an argument goes in a URL


class LeanRoute:
    """The per-route part of a lean route (see the module docstring); one instance per `LeanRoutes`.

    A subclass names its URL (`url_name`, with `url_kwargs`: the names of its integer arguments), its
    switch (a SHIXUN_* setting: False hands every request to the view), the rate limit's setting its view's
    decorator counts, and the body's largest size; and implements `parse`, `write` and `answer`.
    """

    url_name: str
    url_kwargs: tuple[str, ...] = ()
    switch: str
    rate_setting: str
    max_body_bytes: int

    def parse(self, request, body):
        """The body's JSON (`body`, the text `request.body` holds; may be empty) as the write takes it, or None
        to hand the request over (the view answers the refusal). Nothing is known of the user yet."""
        raise NotImplementedError

    def write(self, learner, password: str | None, work, kwargs: dict):
        """The route's write for the session's `learner` (a user or `_Learner`: `.pk`), or None to hand over
        with nothing written. `password` (not None: the learner came from the memo, unloaded): the write must
        itself require the user row active with that password column, and write nothing otherwise."""
        raise NotImplementedError

    def answer(self, written) -> JsonResponse:
        """The view's answer for what `write` returned (called after the write: an error here is answered)."""
        raise NotImplementedError


class _Refused(Exception):
    """CSRF would reject the request: hand it over (the full stack answers and logs the rejection)."""


class _CsrfChecks(CsrfViewMiddleware):
    """CsrfViewMiddleware unchanged but for its rejection, which raises instead of answering and logging, and
    for a token check it has made once for the same secret and token, which it remembers (`_check_token`)."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.accepted = set()  # (secret, header token) pairs _check_token accepted

    def _reject(self, request, reason):
        raise _Refused(reason)

    def _check_token(self, request):
        """CsrfViewMiddleware's check of the request's token against the secret, made once per pair.

        On a lean route the body is JSON (checked before), so request.POST is empty and the token is the
        header's: the check's outcome depends on the secret (cookie or session) and that header only, and
        unmasking the token is most of its cost. A page sends the same masked token with every beat, so a
        pair accepted once is accepted again without unmasking; any other pair takes Django's check.
        """
        token = request.META.get(settings.CSRF_HEADER_NAME)
        if token is None or request.content_type != "application/json":
            return super()._check_token(request)
        try:
            pair = (self._get_secret(request), token)
        except InvalidTokenFormat:  # Django's check rejects it, with its message
            return super()._check_token(request)
        if pair[0] is not None and pair in self.accepted:
            return None
        super()._check_token(request)  # raises RejectRequest when it does not match
        if pair[0] is not None:
            if len(self.accepted) >= MEMO_SIZE:
                self.accepted.clear()
            self.accepted.add(pair)
        return None


class _LocaleMiddleware(LocaleMiddleware):
    """LocaleMiddleware with the language of the path looked up only where it decides something: with
    language-prefixed URL patterns (never on a lean route: _build turns the routes off for them), it is
    LocaleMiddleware's own code."""

    def process_request(self, request):
        if is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]:
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request, check_path=False))
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request, response):
        if is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]:
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class _LeanRequest(WSGIRequest):
    """A WSGIRequest whose host is checked once: get_host() depends only on the environ and the settings, and
    the lean path, the content-host check and CommonMiddleware each ask for it."""

    _host = None

    def get_host(self):
        if self._host is None:
            self._host = super().get_host()  # DisallowedHost: raised each time, as Django's
        return self._host


class _Route:
    """One lean route as built for this URLconf: the path's pattern, the view and the resolver's match."""

    def __init__(self, lean: LeanRoute, pattern, view, match):
        self.lean, self.pattern, self.view, self.match = lean, pattern, view, match


class LeanRoutes:
    """WSGI application: the lean routes in front of `app` (Django's WSGIHandler)."""

    def __init__(self, app, routes=None):
        self.app = app
        self.route_paths = ROUTES if routes is None else routes
        self._routes = None  # [_Route] once the URLconf is known; False: every route is off
        self.known = {}  # user pk → (backend path, password column, session auth hash): see _learner
        self.session_users = {}  # session key → user pk, for _count_and_read_session
        self._redis = threading.local()  # the Redis client of _count_and_read

    # --- set-up, once per process -------------------------------------------------------------------------

    def _build(self):
        """The routes from reverse() and the middleware instances; False (and a log line) when they stay off."""
        unknown = [entry for entry in settings.MIDDLEWARE if entry not in MIDDLEWARE_ON_A_LEAN_ROUTE]
        if unknown:
            logger.warning("Lean routes off: MIDDLEWARE has %s, which they do not know.", unknown)
            return False
        if any(db.get("ATOMIC_REQUESTS") for db in settings.DATABASES.values()):
            logger.warning("Lean routes off: ATOMIC_REQUESTS is set.")
            return False
        from django.urls.resolvers import get_resolver

        if is_language_prefix_patterns_used(settings.ROOT_URLCONF)[0]:
            logger.warning("Lean routes off: the URLs carry a language prefix.")
            return False
        get_resolver()  # the URLconf loads here, not during the first request
        routes = []
        for path in self.route_paths:
            try:
                route = self._route(import_string(path)())
            except Exception:  # a route that cannot be built stays off; the others and Django are unaffected
                logger.exception("Lean route %s off: it could not be set up.", path)
                continue
            if route is not None:
                routes.append(route)
        if not routes:
            return False

        def unused(request):  # the middlewares' get_response: never called, the lean path answers itself
            raise AssertionError("not called")

        self.security = SecurityMiddleware(unused)
        self.common = CommonMiddleware(unused)
        self.session = SessionMiddleware(unused)
        self.locale = _LocaleMiddleware(unused)
        self.csrf = _CsrfChecks(unused)
        response_side = {
            "django.middleware.security.SecurityMiddleware": self.security.process_response,
            "django.contrib.sessions.middleware.SessionMiddleware": self.session.process_response,
            "django.middleware.locale.LocaleMiddleware": self.locale.process_response,
            "django.middleware.common.CommonMiddleware": self.common.process_response,
            "django.middleware.csrf.CsrfViewMiddleware": self.csrf.process_response,
            "django.middleware.clickjacking.XFrameOptionsMiddleware": XFrameOptionsMiddleware(unused).process_response,
        }
        for entry in settings.MIDDLEWARE:  # plain middlewares that only add headers: called around the answer
            if MIDDLEWARE_ON_A_LEAN_ROUTE[entry][0] == "response" and entry not in response_side:
                # Made once, as the stack makes its middlewares; its get_response hands it the lean answer.
                middleware = import_string(entry)(lambda request: request._lean_response)

                def apply(request, response, middleware=middleware):
                    request._lean_response = response
                    return middleware(request)

                response_side[entry] = apply
        # The answer passes through them innermost first, as through the stack.
        self.responders = [response_side[entry] for entry in reversed(settings.MIDDLEWARE) if entry in response_side]
        from shixun.accounts.first_login import SESSION_KEY as FIRST_LOGIN
        from shixun.schools.printable_passwords import SESSION_KEY as PRINTABLE_PASSWORDS

        self.handed_over_sessions = (FIRST_LOGIN, PRINTABLE_PASSWORDS)
        from shixun.assessments.h5p.middleware import is_content_host

        self.is_content_host = is_content_host
        self.memo_rule = memo_possible()
        # One round trip for the session and the limit (_count_and_read_session): the engines that read the
        # session from the cache first, on the Redis cache that also holds the limit's counters.
        from django.core.cache.backends.redis import RedisCache

        self.one_trip = (
            settings.SESSION_ENGINE in ("django.contrib.sessions.backends.cached_db",
                                        "django.contrib.sessions.backends.cache")
            and settings.SESSION_CACHE_ALIAS == "default" and isinstance(caches["default"], RedisCache)
        )
        return routes

    @staticmethod
    def _route(lean: LeanRoute):
        """The route's path pattern, view and match, or None (logged) when the URLconf has no such route."""
        from django.urls import NoReverseMatch

        names = lean.url_kwargs
        try:
            url = reverse(lean.url_name, kwargs=dict(zip(names, _SENTINELS, strict=False)))
        except NoReverseMatch:
            logger.warning("Lean route %s off: the URLconf has no such URL.", lean.url_name)
            return None
        path = "/" + url[len(get_script_prefix()):]
        pieces = re.split("|".join(str(sentinel) for sentinel in _SENTINELS[:len(names)]), path) if names else [path]
        # The URLconf sends that path to the view for any ids (nothing before it takes it): checked here once,
        # so a request need not be resolved again (its match is this one with its own ids).
        samples = [dict(zip(names, values, strict=False)) for values in ((1, 2), (42, 7), _SENTINELS)]
        matches = []
        for kwargs in samples:
            filled = pieces[0] + "".join(str(kwargs[name]) + piece for name, piece in zip(names, pieces[1:],
                                                                                          strict=True))
            matches.append(resolve(filled))
        view = matches[0].func
        if any(match.func is not view or match.kwargs != kwargs for match, kwargs in zip(matches, samples,
                                                                                          strict=True)):
            logger.warning("Lean route off: %s does not resolve to %s.", path, lean.url_name)
            return None
        pattern = re.compile("([0-9]+)".join(re.escape(piece) for piece in pieces))
        return _Route(lean, pattern, view, matches[0])

    # --- each request ---------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        if self._routes is None:
            self._routes = self._build()
        if not self._routes:
            return self.app(environ, start_response)
        path = get_path_info(environ)
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match is not None:
                break
        else:
            return self.app(environ, start_response)
        if not getattr(shixun_settings, route.lean.switch):
            return self.app(environ, start_response)
        kwargs = {name: int(value) for name, value in zip(route.lean.url_kwargs, match.groups(), strict=True)}
        pristine = environ.copy()  # what Django gets if the request is handed over
        set_script_prefix(get_script_name(environ))
        set_urlconf(settings.ROOT_URLCONF)
        signals.request_started.send(sender=WSGIHandler, environ=environ)  # max age, errors: as Django's handler
        for database in connections.all(initialized_only=True):
            # No ping before the first query (CONN_HEALTH_CHECKS): a connection that died fails the route's
            # first query, which writes nothing; the request is then handed over, and Django's handler, at its
            # request_started, closes the failed connection and opens a new one. One round trip less a request.
            database.health_check_done = True
        request = _LeanRequest(environ)
        token, started = logs.begin_request(request)
        try:
            response = self._answer(request, route, kwargs, pristine, started)
        except Exception:
            logger.exception("Lean route %s: handed over after an error", route.lean.url_name)
            response = None
        finally:
            logs.reset_request_context(token)
        if response is None:
            if "_lean_body" in pristine:
                pristine["wsgi.input"] = BytesIO(pristine.pop("_lean_body"))
            return self.app(pristine, start_response)
        response._handler_class = WSGIHandler  # its close() sends request_finished, as Django's answers do
        response._resource_closers.append(request.close)
        status = f"{response.status_code} {response.reason_phrase}"
        headers = [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())]
        start_response(status, headers)
        return response

    def _answer(self, request, route: _Route, kwargs: dict, pristine: dict, started: float):
        """The lean answer, or None to hand the request over (nothing written until the route's write)."""
        lean = route.lean
        # Host, content host, SSL redirect, user agent, PREPEND_WWW: as the stack's first middlewares.
        try:
            request.get_host()
        except DisallowedHost:
            return None
        if self.is_content_host(request) or self.security.process_request(request) is not None:
            return None
        try:
            if self.common.process_request(request) is not None:
                return None
        except PermissionDenied:
            return None
        match = route.match  # what resolve() gives for these ids (checked in _route)
        request.resolver_match = ResolverMatch(
            match.func, (), kwargs, url_name=match.url_name, app_names=match.app_names,
            namespaces=match.namespaces, route=match.route, captured_kwargs=kwargs,
        )
        # The body: the route's JSON, read now and restored if the request is handed over.
        if request.content_type != "application/json":
            return None
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if declared > lean.max_body_bytes:
            return None
        pristine["_lean_body"] = request.body
        work = lean.parse(request, request.body)
        if work is None:
            return None
        # Session and language.
        self.session.process_request(request)
        session = request.session
        if session.session_key is None:
            return None
        rate_setting = lean.rate_setting
        early = self._count_and_read_session(session, rate_setting)
        found = self._signed_in_learner(request, session, route.view)
        if found is None:
            if early is not None:
                uncount(early[2])  # handed over before the limit's place in the stack: the full stack counts
            return None
        user_pk, password = found
        # The limit, counted once for this request whichever path answers it.
        key = f"user:{user_pk}"
        if early is not None and early[0] == key:
            retry_after, counter = early[1:]
        else:
            if early is not None:
                uncount(early[2])
            retry_after, counter = count_request(rate_setting, key)
        if len(self.session_users) >= MEMO_SIZE:
            self.session_users.clear()
        self.session_users[session.session_key] = user_pk
        pristine.setdefault(COUNTED_ENVIRON_KEY, {})[rate_setting] = (key, retry_after)
        written = None
        if retry_after is None:
            written = lean.write(request.user, password, work, kwargs)
        if written is None:
            if password is not None:
                # The learner came from the memo, so only the write checked them. If they are no longer the
                # session's user (deactivated, password changed), the full stack counts this request under
                # the key it finds, not ours: take our count back.
                self.known.pop(user_pk, None)
                if self._learner(session, memo=False) is None:
                    uncount(counter)
                    del pristine[COUNTED_ENVIRON_KEY][rate_setting]
            return None
        # Written: from here on the request is answered here, an error included.
        try:
            response = lean.answer(written)
            for respond in self.responders:
                response = respond(request, response)
        except Exception as error:  # as Django's handler answers an exception raised in a middleware
            response = response_for_exception(request, error)
        return logs.finish_request(request, response, started)

    def _signed_in_learner(self, request, session, view):
        """(user pk, password column or None) when the stack would take the request as the session's learner's
        with a valid CSRF token (request.user and the language set as its middlewares set them), else None."""
        if any(key in session for key in self.handed_over_sessions):
            return None
        found = self._learner(session)
        if found is None:
            return None
        user_pk, password, user = found
        request.user = request._cached_user = user
        self.locale.process_request(request)
        # CSRF, exactly CsrfViewMiddleware's checks.
        self.csrf.process_request(request)
        try:
            if self.csrf.process_view(request, view, (), request.resolver_match.kwargs) is not None:
                return None
        except _Refused:
            return None
        return user_pk, password

    def _count_and_read_session(self, session, rate_setting: str):
        """For a session whose learner this process has seen: count the request under that learner and read
        the session, in one Redis round trip instead of two; (limit key, retry_after, counter key) or None.

        A session key belongs to one user for its whole life (Django's login gives a new key, its logout
        deletes the session), so the learner seen with it is the one its data names; the session is still
        read and checked in full (`_signed_in_learner`), and a count made under another key than the one it
        turns out to need is taken back. The value read is what the session engine's load() reads from its
        cache first; absent (expired from Redis, or gone), the engine loads as it always does.
        """
        user_pk = self.session_users.get(session.session_key) if self.one_trip else None
        if user_pk is None:
            return None
        key = f"user:{user_pk}"
        retry_after, counter, data = self._count_and_read(rate_setting, key, session.cache_key)
        if data is not None:
            session._session_cache = data  # as SessionBase._get_session keeps what load() returned
        return key, retry_after, counter

    def _count_and_read(self, rate_setting: str, key: str, read_key: str):
        """ratelimit.count_request_and_read for the default cache (Redis, `one_trip`): the same script, keys and
        answers, sent by a redis-py client kept per thread on one connection of the cache's own pool.

        Through the cache's shared client, redis-py took a connection from its pool and gave it back, and its
        Script wrapper added a layer, for every beat: two fifths of the trip's Python. The kept client is
        redis-py's own (single_connection_client), with redis-py's failure handling: before each use the
        connection gets the check the pool makes when it hands one out (`_ready`: a connection the server
        closed, after a Redis restart, is opened again before anything is sent, so nothing is sent twice);
        the pool's retry policy applies to the command; a script the server has forgotten is loaded again,
        as redis-py's Script does. A new client is made for a new process (after a fork) or a new cache
        backend (settings changed).
        """
        text = getattr(shixun_settings, rate_setting)
        if not shixun_settings.SHIXUN_RATE_LIMITS_ENABLED or not text:
            return count_request_and_read(rate_setting, key, read_key)
        backend = caches["default"]  # one per thread, as Django's caches are
        kept = self._redis
        if getattr(kept, "backend", None) is not backend or kept.pid != os.getpid():
            pool = backend._cache.get_client(write=True).connection_pool
            kept.client = backend._cache._client(connection_pool=pool, single_connection_client=True)
            kept.backend, kept.pid = backend, os.getpid()
            # The pool reads pending data as a sign of a bad connection only without these (they push data).
            kept.data_is_bad = pool.cache is None and not pool.maint_notifications_enabled()
        client = kept.client
        _ready(client.connection, kept.data_is_bad)
        window = _Window(parse_rate(text), rate_setting, key)
        # make_key: the key make_and_validate_key gives (its validation only warns of memcached's limits).
        args = (2, backend.make_key(read_key), backend.make_key(window.cache_key), window.timeout)
        try:
            raw, count = client.evalsha(_COUNT_AND_READ_SHA, *args)
        except NoScriptError:  # a new or restarted server: load it, as redis-py's Script does
            client.script_load(_COUNT_AND_READ)
            raw, count = client.evalsha(_COUNT_AND_READ_SHA, *args)
        value = None if raw is None else backend._cache._serializer.loads(raw)
        return window.retry_after(int(count)), window.cache_key, value

    def _learner(self, session, *, memo: bool = True):
        """(user pk, password column or None, user) if `django.contrib.auth.get_user` would return the
        session's user without changing the session, else None (the full stack then decides, flushing or
        cycling the session as it does).

        The session's user is checked as get_user checks them: the session's backend still configured, the
        backend's get_user (ModelBackend's: the user exists and is active), the session's auth hash equal
        to the current password's. A learner checked so once, with a backend whose get_user is
        ModelBackend's rule, is remembered by this process (pk → backend, password column, auth hash);
        their next requests skip the user's query and hand the password column to the route's write, which
        requires the user row still active with that password (`user_row_check_sql`): a deactivation or a
        password change stops the very next request, with no cache to invalidate.
        """
        try:
            user_pk = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
            backend_path = session[BACKEND_SESSION_KEY]
        except Exception:  # no user in the session, or an id the user model does not take
            return None
        if backend_path not in settings.AUTHENTICATION_BACKENDS:
            return None
        session_hash = session.get(HASH_SESSION_KEY)
        if not session_hash:
            return None
        known = self.known.get(user_pk) if memo else None
        if known is not None and known[0] == backend_path and constant_time_compare(session_hash, known[2]):
            return user_pk, known[1], _Learner(user_pk)
        backend = load_backend(backend_path)
        user = backend.get_user(user_pk)  # None for an inactive user
        if user is None or not hasattr(user, "get_session_auth_hash"):
            return None
        auth_hash = user.get_session_auth_hash()
        if not constant_time_compare(session_hash, auth_hash):
            return None
        if memo and self.memo_rule and _get_user_is_model_backends(backend):
            if len(self.known) >= MEMO_SIZE:
                self.known.clear()
            self.known[user_pk] = (backend_path, user.password, auth_hash)
        return user_pk, None, user


def _ready(connection, data_is_bad: bool) -> None:
    """What redis-py's ConnectionPool.get_connection checks of a connection it hands out, for the kept one:
    connected, and (`data_is_bad`: the pool's condition) nothing to read, else the server closed it or a reply
    was left unread: opened again."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    try:
        connection.connect()
        if connection.can_read() and data_is_bad:
            raise RedisConnectionError("Connection has data")
    except (RedisConnectionError, RedisTimeoutError, OSError):
        connection.disconnect()
        connection.connect()
        if connection.can_read() and data_is_bad:
            raise RedisConnectionError("Connection not ready") from None


class _Learner:
    """A remembered learner as a lean request's request.user: signed in, with a pk (what the log lines and the
    routes' writes read)."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, pk):
        self.pk = self.id = pk


def _get_user_is_model_backends(backend) -> bool:
    """Whether the backend's get_user is ModelBackend's rule (the user by pk, if user_can_authenticate)."""
    from shixun.accounts.backends import UsernameOrStaffNumberBackend

    kind = type(backend)
    return (
        isinstance(backend, ModelBackend)
        and kind.get_user in (ModelBackend.get_user, UsernameOrStaffNumberBackend.get_user)
        and kind.user_can_authenticate is ModelBackend.user_can_authenticate
    )


def memo_possible() -> bool:
    """Whether a route's write can check a remembered learner itself (`user_row_check_sql`): the user model's
    is_active and password are columns. Else no learner is remembered, and each request loads the user."""
    meta = get_user_model()._meta
    try:
        return all(meta.get_field(name).concrete for name in ("is_active", "password"))
    except Exception:  # FieldDoesNotExist: a user model without them
        return False


def user_row_check_sql(connection, user_pk: str, password: str) -> str:
    """The condition every route's write adds for a remembered learner (LeanRoute.write's `password`): the
    user row `user_pk` (an SQL expression) is active and its password column still holds `password` (a
    placeholder). A deactivation or a password change so stops the very next request. Built once per
    database vendor and form (an xAPI statement asks for it on each request)."""
    key = (connection.vendor, user_pk, password)
    sql = _user_row_checks.get(key)
    if sql is None:
        meta = get_user_model()._meta
        qn = connection.ops.quote_name
        sql = _user_row_checks[key] = (
            f"EXISTS (SELECT 1 FROM {qn(meta.db_table)} u WHERE u.{qn(meta.pk.column)} = {user_pk} "  # noqa: S608
            f"AND u.{qn(meta.get_field('is_active').column)} "
            f"AND u.{qn(meta.get_field('password').column)} = {password})"
        )
    return sql


_user_row_checks = {}


def with_lean_routes(application):
    """Put the lean routes in front of a Django WSGI application (see the module docstring)."""
    return LeanRoutes(application)
