from __future__ import annotations

from flowwire import Activity, activity


@activity("myapp.charge", "1", "myapp")
class FakeCharge(Activity):
    def run(self, amount: int) -> str:
        return "fake"
