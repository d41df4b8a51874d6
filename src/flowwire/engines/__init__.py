"""Engines execute workflows: ``flowwire.engines.local`` (embedded, the default) and
``flowwire.engines.swf`` (Amazon SWF). The core never imports an engine."""
