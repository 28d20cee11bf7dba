"""Scale-out proof: two web nodes and two worker nodes sharing PostgreSQL, Redis and storage.

Run as the `scaleout` scenario of bench/run.py (`make bench-scaleout` runs it
alone). Processes stand in for machines: web node A is the run's gunicorn,
web node B a second gunicorn on its own port, worker node X the run's
django-q2 cluster, worker node Y a second cluster. All four read the same
DATABASE_URL, REDIS_URL and media/private storage directories — what each
tier shares in production (README, "Running on more than one machine").

While a mixed load (the browsing mix, each learner's requests alternating
between A and B) runs, it checks:
- sessions: a teacher logs in with the login form on A, then is served as
  that teacher by B; the load's own sessions move between nodes on every
  request;
- a view restriction set in Wagtail's admin on A is enforced by B on its
  next request, and lifted the same way; a site setting (branding) saved
  by another process shows on both nodes at once;
- H5P content (the player's h5p.json and a content file, on the content
  origin) and a media document are served identically by A and B;
- credit: a burst of completions is posted by X and Y; X is killed
  (SIGKILL, a machine lost) mid-burst; every completion has exactly one
  ledger entry once Y and the scheduled reconcile have run.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid

from bench import loadgen
from bench.loadgen import Recorder, Request, VirtualUser

KEY = "scaleout"


def run(ctx) -> None:
    """The scale-out scenario; web node B and worker node Y are stopped at its end, so the scenarios after it
    (the SQLite pass) do not share the cores with two idle-polling nodes."""
    try:
        _run(ctx)
    finally:
        for name in (f"gunicorn-{ctx.db}-node-b", f"qcluster-{ctx.db}-node-y"):
            ctx.run.services.stop(name)


def _run(ctx) -> None:
    from bench.scenarios import Browser, activity_iri_check

    services = ctx.run.services
    node_a = ctx.base_url
    port_b = int(node_a.rsplit(":", 1)[1]) + 10
    node_b = f"http://127.0.0.1:{port_b}"
    workers = max(2, ctx.run.gunicorn_workers // 2)
    services.gunicorn(f"gunicorn-{ctx.db}-node-b", port_b, ctx.env, workers=workers)
    services.qcluster(f"qcluster-{ctx.db}-node-y", ctx.env)
    prep = ctx.run.django(ctx.env, "scaleout_prepare", {})
    browser = Browser(ctx)
    if "h5p_activity_id" in ctx.world["course"]:
        browser.iri = activity_iri_check(ctx)
    kits = ctx.world["learners"]["browse"]
    # The load runs for as long as the checks take (they are made under it), at least `least` seconds.
    least = max(20.0, ctx.sizes["browse_seconds"] / 2)
    checks: dict[str, tuple[bool, str]] = {}

    async def body():
        connector = loadgen.new_connector()
        pairs = []
        for kit in kits:
            user = VirtualUser(session_key=kit["session"], csrf=kit["csrf"], info=dict(kit))
            await loadgen.open_user(node_a, user, connector)
            twin = VirtualUser(session_key=kit["session"], csrf=kit["csrf"])
            await loadgen.open_user(node_b, twin, connector)
            user.info["nodes"] = [user.http, twin.http]
            pairs.append((user, twin))
        users = [u for u, _ in pairs]
        recorder = Recorder()
        served_by = {"A": 0, "B": 0}

        def alternating(user: VirtualUser, rng) -> Request:
            turn = user.info["turn"] = user.info.get("turn", -1) + 1
            user.http = user.info["nodes"][turn % 2]
            served_by["AB"[turn % 2]] += 1
            return browser(user, rng)

        start = time.monotonic()
        load = asyncio.create_task(loadgen.closed_loop(users, alternating, recorder, duration=3600, think=(0.5, 2.0)))
        try:
            editor_a = await opened(node_a, prep["editor"], connector)
            anon = {node: await opened(node, None, connector) for node in (node_a, node_b)}
            await check_sessions(ctx, node_a, node_b, prep, connector, checks)
            await check_restriction(ctx, editor_a, node_b, prep, kits[0], connector, checks)
            await check_setting(ctx, anon, checks)
            await check_content(ctx, node_a, node_b, prep, kits[0], connector, checks)
            await check_credit(ctx, services, checks)
            await asyncio.sleep(max(0.0, least - (time.monotonic() - start)))
            end = time.monotonic()
        finally:
            load.cancel()
            await asyncio.gather(load, return_exceptions=True)
            for user, twin in pairs:
                user.http = user.info["nodes"][0]
                twin.http = user.info["nodes"][1]
            await loadgen.close_users([u for pair in pairs for u in pair])
            await loadgen.close_users([editor_a, *anon.values()]) if "anon" in locals() else None
            await connector.close()
        # The load's own requests for the course page while it was restricted are refused, as they must be.
        low, high = checks_window.get("restricted", (0.0, 0.0))
        refused = [s for s in recorder.samples if s.name == "course page" and low <= s.started <= (high or end)]
        recorder.samples = [s for s in recorder.samples if s not in refused]
        return recorder.summary(), served_by, end - start, len(refused)

    summary, served_by, seconds, refused = asyncio.run(body())
    ctx.row(
        KEY,
        "mixed load alternating web nodes A and B: errors",
        summary["errors"],
        "",
        target="0",
        passed=summary["errors"] == 0,
        detail=f"{summary['count']} requests in {seconds:.0f} s ({served_by['A']} to A, {served_by['B']} to B), "
        f"p95 {summary['p95_ms']} ms, {summary['error_kinds']}; {refused} course-page requests made while it was "
        "restricted left out",
    )
    for measure, (passed, detail) in checks.items():
        ctx.row(KEY, measure, "yes" if passed else "no", "", target="yes", passed=passed, detail=detail)
    ctx.report.detail(
        KEY,
        f"{ctx.db}: web node A {node_a} and B {node_b} ({workers} sync workers each), worker nodes X and Y "
        "(django-q2 clusters, one Redis broker), one PostgreSQL, one Redis, one media and private-media directory. "
        "Rows: " + "; ".join(f"{m}: {d}" for m, (_, d) in checks.items()),
    )


async def opened(base: str, kit: dict | None, connector) -> VirtualUser:
    user = VirtualUser(session_key=kit["session"], csrf=kit["csrf"]) if kit else VirtualUser()
    return await loadgen.open_user(base, user, connector)


async def get(user: VirtualUser, path: str, **headers) -> tuple[int, str, bytes]:
    async with user.http.get(path, allow_redirects=False, headers=headers or None) as response:
        return response.status, response.headers.get("Location", ""), await response.read()


async def check_sessions(ctx, node_a, node_b, prep, connector, checks) -> None:
    """A real login on A (the form, CSRF, the password hash), then B serves that teacher."""
    import aiohttp

    kit = ctx.world["learners"]["browse"][-1]
    username = kit["username"]
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(base_url=node_a, connector=connector, connector_owner=False, cookie_jar=jar) as a:
        async with a.get("/accounts/login/") as response:
            page = await response.text()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        async with a.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": username,
                "password": prep["teacher_password"],
            },
            allow_redirects=False,
        ) as response:
            login_status = response.status
        session = next((c.value for c in jar if c.key == "sessionid"), "")
    b = await opened(node_b, {"session": session, "csrf": ""}, connector)
    try:
        status, location, body = await get(b, "/learn/")
    finally:
        await loadgen.close_users([b])
    passed = login_status == 302 and bool(session) and status == 200
    checks["session from a login on A served by B"] = (
        passed,
        f"login on A: HTTP {login_status}; /learn/ on B with that cookie: HTTP {status} {location}".strip(),
    )


checks_window: dict[str, tuple[float, float | None]] = {}


async def check_restriction(ctx, editor_a, node_b, prep, kit, connector, checks) -> None:
    """Wagtail admin on A restricts the course to a group; B refuses the (non-member) teacher at once."""
    course = ctx.world["course"]
    learner_b = await opened(node_b, kit, connector)
    try:
        before, _, _ = await get(learner_b, course["course_url"])
        path = f"/admin/pages/{course['course_id']}/privacy/"
        headers = {"X-CSRFToken": editor_a.csrf, "Referer": str(editor_a.http._base_url)}
        async with editor_a.http.post(
            path,
            data={"restriction_type": "groups", "groups": str(prep["group_id"])},
            headers=headers,
            allow_redirects=False,
        ) as response:
            set_status = response.status
        set_at = time.monotonic()
        checks_window["restricted"] = (set_at - 2.0, None)
        during, location, _ = await get(learner_b, course["course_url"])
        seen_ms = (time.monotonic() - set_at) * 1000
        async with editor_a.http.post(
            path, data={"restriction_type": "none"}, headers=headers, allow_redirects=False
        ) as response:
            lift_status = response.status
        checks_window["restricted"] = (checks_window["restricted"][0], time.monotonic() + 2.0)
        after, _, _ = await get(learner_b, course["course_url"])
    finally:
        await loadgen.close_users([learner_b])
    passed = before == 200 and set_status == 200 and during != 200 and lift_status == 200 and after == 200
    checks["view restriction set on A enforced by B on its next request"] = (
        passed,
        f"course page on B: {before} before, {during} {location} right after A's admin saved the restriction "
        f"(HTTP {set_status}; B answered {seen_ms:.0f} ms later), {after} once lifted (HTTP {lift_status})",
    )


async def check_setting(ctx, anon, checks) -> None:
    """A site setting saved elsewhere shows on both web nodes on their next request."""
    name = f"基准站点 {uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(ctx.run.django, ctx.env, "scaleout_setting", {"site_name": name})
    seen = {}
    for node, user in anon.items():
        status, location, body = await get(user, "/accounts/login/")
        seen[node] = (status, name in body.decode("utf-8", "replace"))
    passed = all(status == 200 and found for status, found in seen.values())
    checks["site setting (branding) saved once, shown by A and B at once"] = (
        passed,
        ", ".join(f"{node}: HTTP {s}, new name {'shown' if f else 'NOT shown'}" for node, (s, f) in seen.items()),
    )


async def check_content(ctx, node_a, node_b, prep, kit, connector, checks) -> None:
    """H5P content on the content origin and a media document: the same bytes from either node."""
    origin = os.environ.get("SHIXUN_H5P_CONTENT_ORIGIN", "http://h5p.shixun.localhost:8000")
    host = origin.split("://", 1)[1].rstrip("/")
    paths = (
        [f"/h5p/play/{kit['h5p_token']}/h5p.json", f"/h5p/play/{kit['h5p_token']}/content/content.json"]
        if ("h5p_token" in kit)
        else []
    )
    results = {}
    users = {node: await opened(node, kit, connector) for node in (node_a, node_b)}
    editors = {node: await opened(node, prep["editor"], connector) for node in (node_a, node_b)}
    try:
        for path in paths:
            got = [await get(users[node], path, Host=host) for node in (node_a, node_b)]
            results[path.split("/")[-1]] = (got[0][0], got[1][0], got[0][2] == got[1][2] and len(got[0][2]) > 0)
        # Documents as their editor (Wagtail serves them through a view that checks the collection's privacy).
        got = [await get(editors[node], prep["document_url"]) for node in (node_a, node_b)]
        results["media document"] = (
            got[0][0],
            got[1][0],
            got[0][2] == got[1][2] and len(got[0][2]) == prep["document_bytes"],
        )
    finally:
        await loadgen.close_users([*users.values(), *editors.values()])
    passed = bool(paths) and all(a == 200 and b == 200 and same for a, b, same in results.values())
    checks["H5P content and media served by A and by B"] = (
        passed,
        ", ".join(
            f"{what}: A {a}, B {b}, {'same bytes' if same else 'DIFFERENT'}" for what, (a, b, same) in results.items()
        )
        or "no H5P activity in the bench course",
    )


async def check_credit(ctx, services, checks) -> None:
    """A burst of completions; worker node X is SIGKILLed once a third of them are queued (with tasks it
    had already taken); in the end every completion has exactly one ledger entry."""
    count = max(300, ctx.sizes["credit_count"] // 5)
    x = services.process(f"qcluster-{ctx.db}")
    result = await asyncio.to_thread(
        ctx.run.django,
        ctx.env,
        "credit_posting",
        {
            "count": count,
            "label": "scaleout",
            "timeout": 30,
            "modules": 4,
            "kill_pgid": x.pid,
            "kill_after": count // 3,
        },
        timeout=400,
    )
    killed = x.poll() is not None
    after_y = await asyncio.to_thread(ctx.run.django, ctx.env, "credit_audit", {})
    final = await asyncio.to_thread(ctx.run.django, ctx.env, "credit_audit", {"reconcile": True})
    passed = killed and final["unposted"] == 0 and final["doubled"] == 0 and final["entries"] == final["completions"]
    checks["credit with worker node X killed mid-burst: none lost, none doubled"] = (
        passed,
        f"{result.get('completions', '?')} completions in a burst, X {'SIGKILLed' if killed else 'NOT killed'} "
        f"after {count // 3} were queued; 30 s later, node Y alone: {after_y['unposted']} unposted "
        f"(tasks X had taken); after the reconcile the schedule runs every minute: {final['completions']} "
        f"completions, {final['entries']} entries, {final['unposted']} unposted, {final['doubled']} doubled",
    )
