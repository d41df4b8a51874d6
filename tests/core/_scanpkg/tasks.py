from flowwire.task import Activity, Workflow, activity, workflow


@activity("scan_a", "1", "tl")
class ScanA(Activity):
    def run(self) -> int:
        return 1


@workflow("scan_w", "1", "tl")
class ScanW(Workflow):
    def run(self) -> int:
        return 2


class Undecorated(Activity):
    pass
