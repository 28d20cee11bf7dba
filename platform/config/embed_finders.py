"""Wagtail's oEmbed finder, built on its first use instead of at start-up.

wagtail.embeds' ready() builds the configured finders to check the configuration, and Wagtail's oEmbed finder
compiles the URL patterns of every provider it knows (144 regular expressions, ~11 ms of CPU) when it is built.
Every process pays that before its first line of work, the district's export command included
(bench/ANALYSIS.md, issue 18: the CSV export's first byte), though only an editor saving an embed or a page
showing a new one ever asks a finder. This finder is Wagtail's, with the same providers and options, made on
the first question (WAGTAILEMBEDS_FINDERS in the settings).
"""

from wagtail.embeds.finders.base import EmbedFinder


class LazyOEmbedFinder(EmbedFinder):
    def __init__(self, **options):
        self._options = options
        self._finder = None

    def _oembed(self):
        # Two threads asking at once may each build one: the same finder, and one of them is kept.
        if self._finder is None:
            from wagtail.embeds.finders.oembed import OEmbedFinder

            self._finder = OEmbedFinder(**self._options)
        return self._finder

    def accept(self, url):
        return self._oembed().accept(url)

    def find_embed(self, url, max_width=None, max_height=None):
        return self._oembed().find_embed(url, max_width=max_width, max_height=max_height)


embed_finder_class = LazyOEmbedFinder
