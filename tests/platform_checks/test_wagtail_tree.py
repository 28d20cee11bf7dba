import pytest
from django.core.management import call_command


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_a_usable_wagtail_tree():
    from wagtail.models import Locale, Page, Site

    call_command("flush", "--noinput", verbosity=0)
    assert Locale.objects.count() == 1
    assert Page.get_first_root_node() is not None
    site = Site.objects.get(is_default_site=True)
    assert site.root_page.depth == 2
