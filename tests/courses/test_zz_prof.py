import cProfile, pstats, io, time, os
import pytest
from django.db import connection
from django.core.handlers.wsgi import WSGIHandler
from shixun.config.lean_heartbeat import LeanHeartbeat
from tests.courses.test_lean_heartbeat import Learner, call, url, keep_the_test_connection, redis_sessions  # noqa
from tests.platform_checks.test_redis_cache import redis_url  # noqa
from shixun.courses import enrolment as services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis_sessions")]


def test_prof(org, course, settings):
    settings.SHIXUN_RATE_LIMIT_HEARTBEAT = "100000/m"
    settings.ROOT_URLCONF = "bench.urls"
    services.enrol_self(org.teacher, course)
    module = course.live_modules().first()
    from shixun.courses.models import ModulePage
    ModulePage.objects.filter(pk=module.pk).update(study_minutes=100000)
    app = LeanHeartbeat(WSGIHandler())
    learner = Learner(org.teacher)
    call(app, url(module), learner, body={"start": True})
    for _ in range(50):
        a = call(app, url(module), learner); assert a.status_code == 200, a.content
    def one_query():
        a = call(app, "/bench/one-query/", None, method="GET"); assert a.status_code == 200
    def beat():
        a = call(app, url(module), learner)
    for rnd in range(2):
        for name, fn in (("beat", beat), ("one", one_query)):
            n = 400
            t0 = time.process_time()
            for _ in range(n): fn()
            print(f"\n{name}: {1000*(time.process_time()-t0)/n:.3f} ms CPU")
    pr = cProfile.Profile(time.process_time)
    pr.enable()
    for _ in range(1000): beat()
    pr.disable()
    s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(45); print(s.getvalue()[:9000])
    s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(60); print(s.getvalue()[:12000])
