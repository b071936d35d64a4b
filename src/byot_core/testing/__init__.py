"""Test support shipped with the library: the storage contract every storage adapter must pass."""

from byot_core.testing.storage_contract import STORAGE_CONTRACT, StorageFactory, sample_number, sample_trunk

__all__ = ["STORAGE_CONTRACT", "StorageFactory", "sample_number", "sample_trunk"]
