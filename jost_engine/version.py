"""The engine's version, stamped on every result."""

from importlib.metadata import PackageNotFoundError, version

try:
    ENGINE_VERSION = version("jost")
except PackageNotFoundError:  # running from a source tree that was never installed
    ENGINE_VERSION = "0.1.0+src"
