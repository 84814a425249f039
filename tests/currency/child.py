"""A separate process for the kill tests: ``python -m tests.currency.child charge|resume …``.

``charge URL PLATFORM KEY ACCOUNT AMOUNT`` runs :meth:`Ledger.charge` (the test kills it);
``resume URL PLATFORM [READY GO]`` runs :meth:`Ledger.resume_pending`, after writing the
file READY and waiting for the file GO when given (so two resumers start together), and
prints what it settled as JSON.
"""

import json
import sys
import time
from pathlib import Path

from api.currency import Ledger, PlatformClient, PlatformConfig
from api.db import connect

API_KEY = "sk_test_currency"


def main(argv: list[str]) -> None:
    command, database_url, platform_url, *rest = argv
    engine = connect(database_url)
    config = PlatformConfig(base_url=platform_url, api_key=API_KEY, timeout_s=120.0)
    with PlatformClient(config) as client:
        ledger = Ledger(engine, client)
        if command == "charge":
            key, account, amount = rest
            entry = ledger.charge(account=account, amount_yen=int(amount), idempotency_key=key)
            print(json.dumps({"status": entry.status.value}))
            return
        if rest:
            ready, go = Path(rest[0]), Path(rest[1])
            ready.touch()
            while not go.exists():
                time.sleep(0.005)
        report = ledger.resume_pending()
        print(json.dumps({"settled": [e.id for e in report.settled]}))
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
