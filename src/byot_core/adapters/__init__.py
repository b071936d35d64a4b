"""Adapters: everything that touches the world. Only the composition function, entry points and tests import them."""
