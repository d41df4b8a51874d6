"""The transport fuzz harness (issue 16): see ``_runner.py`` and docs/security.md."""
