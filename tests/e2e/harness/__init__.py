"""GoChat SFU end-to-end harness (see docs/testing.md)."""
