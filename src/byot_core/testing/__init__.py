"""Test support shipped with the library: the storage contract every storage adapter must pass, and a live server."""

from byot_core.testing.live_server import LiveServer, free_port, running_server
from byot_core.testing.storage_contract import STORAGE_CONTRACT, StorageFactory, sample_number, sample_trunk

__all__ = [
    "STORAGE_CONTRACT",
    "LiveServer",
    "StorageFactory",
    "free_port",
    "running_server",
    "sample_number",
    "sample_trunk",
]
