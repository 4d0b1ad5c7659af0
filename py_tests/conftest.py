"""Root conftest: the gtest bridge itself is loaded through its pytest11 entry point;
pytester drives pytest-in-pytest in the bridge's own tests."""

pytest_plugins = ["pytester"]
