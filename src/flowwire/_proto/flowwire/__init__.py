"""Generated code for the flowwire.v1 proto package."""
