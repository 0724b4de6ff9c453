"""Hostile, corrupt and odd files: every file bprop reads is untrusted (issue 16)."""
