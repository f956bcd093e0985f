"""Importing this package registers every simulator method handler."""

from aiovsphere.simulator._handlers import service as service
