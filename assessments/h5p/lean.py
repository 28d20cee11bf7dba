"""The lean xAPI route: the ordinary statement answered in front of Django's handler (config.lean_routes).

The H5P player posts a statement for nearly every interaction (issue 18: ≥ 500/s); most change nothing
the module holds. This route answers ONLY such an ordinary statement — a JSON POST to the xAPI URL by a
signed-in learner with a valid CSRF token, whose activity link is theirs and valid, whose statement the
view would accept, who is enrolled and already has a result on the activity, and which (stored, or a
duplicate) changes nothing the module holds — with the checks of the lean routes (host, session, CSRF,
the user, the limit counted once: config.lean_routes), the view's own validation (`views.statement_of`)
and write (`results.record_ordinary_statement`, record_statement's transaction, rolled back for any other
statement), and the view's answer (`views.recorded_json`).

Everything else goes to the view unchanged, with nothing written: a statement that changes the module's
progress (the first on the activity, a better score, one that completes or fails the activity), any
refusal (link, shape, other activity, not enrolled, no activity), the limit hit, and any error before the
commit. SHIXUN_LEAN_XAPI = False turns the route off.
"""

from shixun.config.jsonbody import BadJSONBody, read_json
from shixun.config.lean_routes import LeanRoute


class XapiRoute(LeanRoute):
    url_name = "h5p:xapi"
    switch = "SHIXUN_LEAN_XAPI"
    rate_setting = "SHIXUN_RATE_LIMIT_XAPI"

    def __init__(self):
        from .views import MAX_BODY_BYTES

        self.max_body_bytes = MAX_BODY_BYTES

    def parse(self, request, body):
        try:
            body = read_json(request, self.max_body_bytes)
        except BadJSONBody:
            return None
        return body if isinstance(body, dict) else None

    def write(self, learner, password, body, kwargs):
        from django.http import HttpResponse

        from .results import record_ordinary_statement
        from .views import statement_of

        checked = statement_of(body, learner.pk)
        if isinstance(checked, HttpResponse):  # the view's refusal: it answers it
            return None
        grant, parsed = checked
        return record_ordinary_statement(learner, grant.activity_id, grant.module_id, grant.content_id, parsed,
                                         password=password)

    def answer(self, recorded):
        from django.http import JsonResponse

        from .views import recorded_json

        return JsonResponse(recorded_json(recorded))
