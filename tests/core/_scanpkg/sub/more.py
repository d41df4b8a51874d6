from flowwire.task import Activity, activity

from .._scan_reexport import ScanA as Imported  # noqa: F401 - imported names are not taken


@activity("scan_b", "2", "tl")
class ScanB(Activity):
    def run(self) -> int:
        return 3
