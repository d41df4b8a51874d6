"""The value model and typing: what every codec carries and how typed decoding rebuilds it.

* ``_model``: the base model (lowering of extended types, path texts, depth limits);
* ``_typing``, ``_converters``, ``_classes``, ``_records``, ``_unions``, ``_hint_cache``,
  ``_fast``: decoding plans compiled once per type hint;
* :mod:`~flowwire.transport.model.adapters`: the public type adapters (and the shipped ones
  for pydantic, attrs and msgspec, ``_adapt_*``, each loaded when its library is met);
* :mod:`~flowwire.transport.model.evolution`: the schema-evolution policy.

Nothing here imports a codec, a stage, the envelope or the registry.
"""
