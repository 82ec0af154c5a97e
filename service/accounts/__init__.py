"""Accounts: API tokens (stored as hashes, expiring, revocable) and the guard on every login."""
