"""The SOAP codec: pure (no I/O, no asyncio); the only package that imports lxml."""
