"""Build hook for flowwire's optional C extensions; the project is configured in pyproject.toml.

- ``flowwire.transport.codecs._pbfast`` reads the common shapes of a serialized protobuf ``Value``.
- ``flowwire.transport._speedups`` runs the exactness checks of the JSON and MessagePack codecs
  (no NaN written as ``null``; only ``str`` map keys).

Both are optional: where they cannot be compiled (no C compiler or no Python headers) the
install still succeeds and the codecs use their pure-Python code, which gives the same results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "flowwire.transport.codecs._pbfast",
            sources=["src/flowwire/transport/codecs/_pbfast.c"],
            optional=True,
        ),
        Extension(
            "flowwire.transport._speedups",
            sources=["src/flowwire/transport/_speedups.c"],
            optional=True,
        ),
    ]
)
