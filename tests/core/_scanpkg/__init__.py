"""A package for scanner tests."""
