"""The built-in codecs, one module each, every module the same shape: a codec class that
implements :class:`~flowwire.transport.Codec`, the transport class built on it, and nothing
that another codec needs.

Importing this package imports no codec: each module is loaded the first time it is used.
"""
