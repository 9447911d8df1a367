"""Only for ``scrapyd-deploy``, which builds its egg with ``setup.py bdist_egg``.

Everything (name, packages, package data, the ``scrapy`` settings entry point) is in
pyproject.toml; without this file scrapyd-deploy would write its own setup.py that
packages every folder, tests included.
"""

from setuptools import setup

setup()
