"""The lean path of the study-time heartbeat: its route among the lean routes (config.lean_routes).

The route answers ONLY the ordinary, steady-state beat — a POST of JSON to the heartbeat URL by a
signed-in learner with a valid CSRF token, whose study row exists, on a live module of a course they are
actively enrolled in, and which cannot complete the lesson — with the checks of the lean routes (host,
session, CSRF, the user, the limit counted once: see config.lean_routes) and the UPDATE of
`courses.study.lean_beat`: `beat`'s own statement, which touches no row for a first beat, a refusal or a
beat that may complete the lesson. The answer is the view's (`state_json`, in the negotiated language).
Everything else goes to the view unchanged, with nothing written. SHIXUN_LEAN_HEARTBEAT = False turns it
off.

The names this module had before the lean routes were general stay here: `with_lean_heartbeat`,
`LeanHeartbeat` (every lean route, the heartbeat's among them) and `MIDDLEWARE_ON_A_BEAT`.
"""

from django.http import JsonResponse

from shixun.config.jsonbody import BadJSONBody, read_json
from shixun.config.lean_routes import MIDDLEWARE_ON_A_LEAN_ROUTE, LeanRoute, LeanRoutes, with_lean_routes

HEARTBEAT_URL_NAME = "courses:study_heartbeat"
RATE_SETTING = "SHIXUN_RATE_LIMIT_HEARTBEAT"


class HeartbeatRoute(LeanRoute):
    url_name = HEARTBEAT_URL_NAME
    url_kwargs = ("module_id",)
    switch = "SHIXUN_LEAN_HEARTBEAT"
    rate_setting = RATE_SETTING

    def __init__(self):
        from shixun.courses.study_views import MAX_BODY_BYTES

        self.max_body_bytes = MAX_BODY_BYTES

    def parse(self, request, body):
        try:
            body = read_json(request, self.max_body_bytes) if body else {}
        except BadJSONBody:
            return None
        if not isinstance(body, dict) or not isinstance(body.get("start", False), bool):
            return None
        return body.get("start", False)

    def write(self, learner, password, start, kwargs):
        from shixun.courses.study import lean_beat

        return lean_beat(learner.pk, kwargs["module_id"], start=start, password=password)

    def answer(self, state):
        from shixun.courses.study_views import state_json

        return JsonResponse(state_json(state))


# The earlier names (README, host sites' wsgi.py, tests).
LeanHeartbeat = LeanRoutes
MIDDLEWARE_ON_A_BEAT = MIDDLEWARE_ON_A_LEAN_ROUTE
with_lean_heartbeat = with_lean_routes
