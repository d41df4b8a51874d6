from .tasks import ScanA

__all__ = ["ScanA"]
