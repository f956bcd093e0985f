"""Importing this package registers every simulator method handler."""

from aiovsphere.simulator._handlers import events as events
from aiovsphere.simulator._handlers import folders as folders
from aiovsphere.simulator._handlers import perf as perf
from aiovsphere.simulator._handlers import property_collector as property_collector
from aiovsphere.simulator._handlers import search as search
from aiovsphere.simulator._handlers import service as service
from aiovsphere.simulator._handlers import snapshots as snapshots
from aiovsphere.simulator._handlers import tasks as tasks
from aiovsphere.simulator._handlers import views as views
from aiovsphere.simulator._handlers import vm as vm
