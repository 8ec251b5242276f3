pytest_plugins = [
    "tests.fixtures.cluster",
    "tests.fixtures.worker",
    "tests.fixtures.cache",
    "tests.fixtures.browser",
    "tests.fixtures.console",
    "tests.fixtures.web",
]
