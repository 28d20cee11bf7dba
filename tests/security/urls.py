"""Every URL pattern of Shixun's apps, read from the URL configuration itself."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

# The namespaces Shixun's apps mount (config/urls.py); "" is the project's own root patterns.
SHIXUN_NAMESPACES = (
    "accounts", "courses", "quizzes", "assignments", "h5p", "h5p_libraries", "schools", "transcripts", "shadowing",
    "reports", "inbox", "evaluations", "attendance",
)
ROOT_NAMES = ("home", "set_language", "healthz", "readyz", "metrics")
CONTENT_URLCONF = "shixun.assessments.h5p.content_urls"


def _walk(patterns, namespace: str | None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield namespace, pattern


def shixun_url_names() -> set[str]:
    """"namespace:name" of every pattern in Shixun's namespaces, plus the project's own root names."""
    names = set()
    for namespace, pattern in _walk(get_resolver().url_patterns, None):
        if namespace in SHIXUN_NAMESPACES:
            assert pattern.name, f"an unnamed URL pattern in {namespace}: {pattern.pattern}"
            names.add(f"{namespace}:{pattern.name}")
        elif namespace is None and pattern.name in ROOT_NAMES:
            names.add(pattern.name)
    return names


def content_origin_url_names() -> set[str]:
    return {pattern.name for _ns, pattern in _walk(get_resolver(CONTENT_URLCONF).url_patterns, None)}


# URLs that bear no object of anyone's, each with the reason it is outside the access matrix.
PUBLIC_OR_SELF = {
    "home": "public landing page; a signed-in user is redirected to their own home",
    "set_language": "public language switch (POST with CSRF: test_csrf.py)",
    "accounts:home": "redirects the signed-in user to their own home",
    "accounts:login": "public login form (CSRF: test_csrf.py)",
    "accounts:logout": "ends one's own session (POST with CSRF)",
    "accounts:password_change": "one's own password (CSRF: test_csrf.py)",
    "accounts:password_reset": "public; answers the same whether or not the address is known",
    "accounts:password_reset_done": "public confirmation text",
    "accounts:password_reset_confirm": "public; the signed one-time token is the credential",
    "accounts:password_reset_complete": "public confirmation text",
    "transcripts:verify": "public certificate verification: test_public_pages.py checks what it shows",
    "transcripts:verify_file": "public training-file verification (masked name, totals): test_training_file.py",
    "schools:unsubscribe": "the signed token is the credential: test_public_pages.py",
    "healthz": "load-balancer probe, no session and no data: tests/operations/test_health.py",
    "readyz": "load-balancer probe, check names and numbers only: tests/operations/test_health.py",
    "metrics": "no role may read it; allowed addresses or a bearer token only: tests/operations/test_metrics.py",
}

# The content origin's URLs: no session at all, a signed per-learner link is the credential.
CONTENT_ORIGIN_COVERED = {
    "h5p_player_asset": "the player's own files, public: test_headers.py",
    "h5p_player_page": "signed link: test_content_origin.py",
    "h5p_json": "signed link: test_content_origin.py",
    "h5p_content_file": "signed link: test_content_origin.py",
    "h5p_library_file": "signed link: test_content_origin.py",
}
