"""URLs reversed once per process: the header's links, which every page shows.

Django's reverse() rebuilds the string on every call (the resolver's reverse
dict, the pattern's candidates, quoting, the script prefix: ~20 µs each),
and the header of every page reversed a dozen names. Django caches the
resolver per URLconf and its reverse dict per language, not the result.

A reversed URL depends on the URLconf (a request may carry its own), the
language (i18n_patterns), the script prefix (a host site served under a
path: SCRIPT_NAME sets it per request), the name and the arguments. The
answers are kept by all of these, under the resolver object itself, held
weakly: `clear_url_caches()` (a test changing ROOT_URLCONF, a URLconf
reloaded) makes a new resolver, whose answers start empty. A name that does
not reverse is remembered as such, so trying candidates in turn
(accounts.roles) costs nothing after the first call either.

Only for URLs with few distinct arguments (names without arguments, a
school's or district's code): each combination stays for the process's life.
"""

from __future__ import annotations

import weakref

from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

_answers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def reverser():
    """reverse_once for several names in a row (the header's): the URLconf, prefix and language read once."""
    resolver = get_resolver(get_urlconf())
    answers = _answers.get(resolver)
    if answers is None:
        answers = _answers.setdefault(resolver, {})
    prefix, language = get_script_prefix(), get_language()

    def reverse_cached(name: str, args: tuple = ()) -> str:
        key = (prefix, language, name, args)
        try:
            url = answers[key]
        except KeyError:
            try:
                url = reverse(name, args=list(args) or None)
            except NoReverseMatch:
                url = None
            answers[key] = url
        if url is None:
            raise NoReverseMatch(f"Reverse for {name!r} with arguments {args!r} not found.")
        return url

    return reverse_cached


def reverse_once(name: str, args: tuple = ()) -> str:
    """reverse(name, args=args), computed once per URLconf, language and script prefix; NoReverseMatch alike."""
    return reverser()(name, tuple(args))
