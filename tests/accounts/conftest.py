import pytest


@pytest.fixture(scope="session")
def migrated_through_the_moves(tmp_path_factory):
    """tests/accounts/migration_history.py's run, once per process for the two tests that read it.

    In conftest.py, not in migration_history.py: a session fixture imported into two test modules is two
    fixtures, and the database would be migrated twice. Both tests are in the migrates-from-zero xdist group,
    so one worker runs them, and the script once.
    """
    from tests.accounts.migration_history import SCRIPT
    from tests.django_script import run_django_script

    return run_django_script(SCRIPT, sqlite_path=tmp_path_factory.mktemp("moves") / "history.sqlite3")
