"""Operator tools behind the ``flowwire`` command: read payloads and histories, draw timelines.

* :mod:`flowwire.tools.jsonview`: any decoded value as valid JSON text (``flowwire run``'s
  result, ``flowwire decode``'s values).
* :mod:`flowwire.tools.decode`: what a payload string holds: its envelope (codec, stages, key
  ids, offload references, sizes) and its value, decoded with the keys and stores you give.
* :mod:`flowwire.tools.timeline`: an execution's tasks as bars on a time axis (SVG, HTML, PNG),
  built from engine-neutral rows that a history source provides.

Nothing here is needed to run workflows; the command line and tests use it.
"""
