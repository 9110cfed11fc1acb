"""livemig: live-migrate KubeVirt and Harvester virtual machines from a terminal."""

# The same as pyproject.toml's version (tests/test_project.py checks): a constant, so that starting
# livemig does not read the installed package's metadata (importlib.metadata costs about 30 ms).
__version__ = "0.1.0"
