"""The test suite (a package, so that test modules share helpers as tests.conftest and tests.apptest_media)."""
