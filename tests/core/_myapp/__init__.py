"""A package laid out like an application: its tests package holds a fake of a real activity
(same name and version), so scanning it without ``ignore=["*.tests"]`` finds a duplicate."""
