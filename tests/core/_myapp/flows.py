from __future__ import annotations

from flowwire import Activity, ActivityProxy, Workflow, activity, workflow


@activity("myapp.charge", "1", "myapp")
class Charge(Activity):
    def run(self, amount: int) -> str:
        return f"charged {amount}"


@workflow("myapp.checkout", "1", "myapp")
class Checkout(Workflow):
    charge = ActivityProxy("myapp.charge", "1")  # by name: found by scanning

    def run(self, amount: int) -> str:
        return self.charge(amount) + "!"
