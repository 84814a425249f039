"""Paddy water in the service: the tables, the store, and the runner's ports wired to them."""
