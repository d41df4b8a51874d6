"""Generated protobuf code (grpcio-tools) for proto/; regenerate with scripts/gen_proto.py."""
