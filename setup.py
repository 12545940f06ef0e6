"""Packaging beyond pyproject.toml: the lessons ship inside the package as `t2ilab.lessons`.

The `lessons/` folder stays where it is in a checkout; setuptools maps the package onto it, so
`pip install .` (and a wheel) carries the notebooks and `t2ilab workspace` finds them.
"""
from setuptools import find_namespace_packages, setup

setup(packages=find_namespace_packages(include=["t2ilab*"]) + ["t2ilab.lessons"], package_dir={"t2ilab.lessons": "lessons"})
