"""On a freshly migrated database, trainers can author every kind of activity in the admin.

Regression: permission grants ran in post_migrate before Django had created
the permissions of a fresh database, so trainers were sent back to /admin/.
"""

import pytest

TRAINER_SNIPPETS = [
    "/admin/snippets/shixun_quizzes/quiz/",
    "/admin/snippets/shixun_assignments/assignment/",
    "/admin/snippets/shixun_h5p/h5pactivity/",
    "/admin/snippets/shixun_transcripts/coursecreditsettings/",
    "/admin/snippets/shixun_attendance/session/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", TRAINER_SNIPPETS)
def test_trainers_reach_the_activity_snippets(client, org, url):
    client.force_login(org.trainer)
    assert client.get(url).status_code == 200
    client.force_login(org.teacher)
    assert client.get(url).status_code == 302
