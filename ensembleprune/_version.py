"""The package version, in a module of its own.

Every module that records the version (model files, checkpoint fingerprints)
imports it from here, never from the package ``__init__``, so that importing a
lower module does not depend on the order of the imports in ``__init__``.
"""

__version__ = "0.1.0"
