"""`python -m tests.sync.sync_child DB_URL PROVIDER COMPANY_ID KEYRING_FILE ENV_JSON`: one sync
in a process of its own, as `bookkeeper sync` runs it, for the crash tests
(`BOOKKEEPER_SYNC_KILL_AT=N` ends it at its N-th safe point)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.services.sync import open_client, run_sync
from bookkeeper_desktop.storage.engine import open_database
from tests.sync.file_keyring import FileKeyring

#: The sandboxes' time scale (tests/sync/conftest.py; not imported: it would load pytest).
TIME_SCALE = 0.01


def main(argv: list[str]) -> int:
    db_url, provider, company, keyring_file, env_json = argv
    db = open_database(db_url)
    keychain = Keychain(FileKeyring(Path(keyring_file)))
    with open_client(db, int(company), provider, keychain=keychain, env=json.loads(env_json),
                     time_scale=TIME_SCALE) as client:
        result = run_sync(db, int(company), provider, client=client)
    print(json.dumps({"status": result.status.value, "message": result.message,
                      "counts": result.counts}))
    db.close()
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
