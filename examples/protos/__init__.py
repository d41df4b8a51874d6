"""Generated protobuf messages for the examples (see invoice.proto)."""
