"""The suite's fixtures live in tests/fixtures/ and are registered here for every test, so
no conftest imports another and each fixture name means one thing everywhere. Helpers that
are not fixtures are in tests/helpers/; rows are made by tests/factories.py."""

pytest_plugins = [
    "tests.fixtures.app",
    "tests.fixtures.servers",
    "tests.fixtures.stripe",
    "tests.fixtures.browser",
    "tests.fixtures.wholesale",
]
