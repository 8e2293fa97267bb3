"""Verification: reviewed records about items and claims, and automatic provenance findings."""
