"""Adds the fixtures to the discovered packages: pyproject.toml maps `simulator.fixtures` onto the top-level
fixtures/ folder, but a `[tool.setuptools.packages.find]` table cannot list mapped packages beside the ones it
discovers. The scenarios folder is a package of its own only so that setuptools ships its data without a warning."""
from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["simulator*", "connector*", "conformance*"]),
                "simulator.fixtures", "simulator.fixtures.scenarios"])
