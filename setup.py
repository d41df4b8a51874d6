"""Build hook for flowwire's one optional C extension; the project is configured in pyproject.toml.

``flowwire.transport._pbfast`` reads the common shapes of a serialized protobuf ``Value`` in C.
It is optional: where it cannot be compiled (no C compiler or no Python headers) the install
still succeeds and the protobuf codec uses its pure-Python reader, which gives the same values.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "flowwire.transport._pbfast",
            sources=["src/flowwire/transport/_pbfast.c"],
            optional=True,
        )
    ]
)
