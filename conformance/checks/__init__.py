"""The checks, registered on import: core, robust and perpetual levels."""
from conformance.checks import core, perpetual, robust  # noqa: F401
