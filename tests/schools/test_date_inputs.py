"""Browsers' date pickers accept only ISO dates (yyyy-mm-dd) as the input's value.

In Chinese, Django's localized date format is 2026/01/01, which a date picker
rejects and shows as empty: every type="date" input must render ISO.
"""

import datetime

from django.utils import translation

from shixun.schools.forms import ExportForm, TeacherExternalTrainingForm


def test_date_inputs_render_iso_dates_in_chinese():
    with translation.override("zh-hans"):
        export = ExportForm(initial={"start": datetime.date(2026, 1, 1), "end": datetime.date(2026, 11, 23)})
        html = str(export["start"]) + str(export["end"])
        assert 'value="2026-01-01"' in html and 'value="2026-11-23"' in html
        training = TeacherExternalTrainingForm(initial={"start_date": datetime.date(2026, 3, 4)})
        assert 'value="2026-03-04"' in str(training["start_date"])
