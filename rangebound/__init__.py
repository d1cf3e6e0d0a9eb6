"""Rangebound: reference models, pricing and deployment helpers for the Vyper contracts."""
