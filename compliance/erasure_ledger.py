"""The erasure ledger: one object per completed erasure, outside the database, so that a database
restored from a backup taken before an erasure can be brought back in line (`replay_erasures`).

Each entry is its own object under ``ledger/erasures/<tenant id>/<subject index>/<reference>.json``,
written once and never overwritten or deleted (append-only). It holds the subject's blind index
(a keyed hash under BLIND_INDEX_KEY, the same one the tables hold), the tenant, the request's
reference and the time: nothing personal. The sweeper never looks under ``ledger/``.
"""

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.fernet import InvalidToken

from governance.storage import objectstore

PREFIX = "ledger/erasures/"
FORMAT = 1


class LedgerUnreadable(Exception):
    """The ledger could not be listed or an entry could not be read; `code` is stable."""

    code = "ledger_unreadable"


@dataclass(frozen=True)
class Entry:
    tenant_id: int
    tenant_slug: str
    subject_index: str
    reference: str
    erased_at: str

    @property
    def key(self) -> str:
        return f"{PREFIX}{self.tenant_id}/{self.subject_index}/{self.reference}.json"


def append(entry: Entry) -> None:
    """Write the entry (raises when the bucket refuses: the erasure's last step then rolls back)."""
    body = json.dumps({"format": FORMAT, **asdict(entry)}, sort_keys=True).encode()
    objectstore.backend().put(entry.key, body, "application/json")


def entries(*, tenant_id: int | None = None, subject_index: str = "") -> Iterator[Entry]:
    """Every entry (or one tenant's, or one subject's in a tenant), oldest key first per folder."""
    prefix = PREFIX
    if tenant_id is not None:
        prefix += f"{tenant_id}/" + (f"{subject_index}/" if subject_index else "")
    store = objectstore.backend()
    try:
        keys = sorted(key for key, _ in store.list_keys(prefix))
    except (BotoCoreError, ClientError, OSError) as exc:  # the caller must not act on a partial ledger
        raise LedgerUnreadable(f"the erasure ledger could not be listed ({type(exc).__name__})") from None
    for key in keys:
        try:
            data = json.loads(store.get(key))
            yield Entry(**{name: data[name] for name in Entry.__dataclass_fields__})
        except (BotoCoreError, ClientError, OSError, InvalidToken, ValueError, KeyError, TypeError) as exc:
            raise LedgerUnreadable(f"ledger entry {key} could not be read ({type(exc).__name__})") from None


def read_all(**filters) -> list[Entry]:
    """All entries at once: nothing is acted on until the whole ledger has been read."""
    return list(entries(**filters))
