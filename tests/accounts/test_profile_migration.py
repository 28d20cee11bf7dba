"""The teacher fields move from the standalone User to accounts.Profile without loss."""

from tests.accounts.migration_history import lines_of
from tests.django_script import MIGRATES_FROM_ZERO

# The database migrated from zero with users holding teacher data before accounts.Profile existed:
# tests/accounts/migration_history.py (one run shared with test_first_login.py).


@MIGRATES_FROM_ZERO
def test_migrating_copies_every_users_teacher_data_to_a_profile(migrated_through_the_moves):
    assert lines_of(migrated_through_the_moves, "PROFILE") == [
        "王老师 0042 13800138000 d s 2020-09-01 ['new'] ['数学']",
        "'' '' None 0",
    ]
