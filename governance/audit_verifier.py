#!/usr/bin/env python3
"""Verify a Sightguard audit log offline: standard library plus `cryptography`, no Django, no database.

Sightguard keeps one append-only Merkle tree per tenant (and one for the platform), hashed as in
RFC 6962 / RFC 9162 (leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right)), and signs
checkpoints in the C2SP tlog-checkpoint signed-note format with Ed25519. This one file is what a
tenant downloads and runs:

    python audit_verifier.py --key KEY --log export.jsonl --checkpoint a.txt [--checkpoint b.txt ...]
    python audit_verifier.py --key KEY --inclusion proof.json --checkpoint newest.txt
    python audit_verifier.py --key KEY --consistency proof.json --checkpoint old.txt --checkpoint new.txt

KEY is the verifier key (`name+keyid+base64`, as `audit_checkpoint` prints it) or a file holding it.
Exit status 0 and "ok ..." when everything checks; 1 and one line saying what failed otherwise.

Sightguard imports the hashing, checkpoint and proof functions below, so the log and its verifier
hash the same bytes the same way.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

EXPORT_FORMAT = "sightguard-audit-log/1"
_ED25519 = b"\x01"
_SIG_PREFIX = "\u2014 "  # an em dash and a space start every signature line of a signed note
_sha256 = hashlib.sha256


class VerificationError(Exception):
    """The log, a checkpoint or a proof does not check; the message says what, in one line."""


# --- RFC 6962 / 9162 hashing ----------------------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = _sha256(b"").digest()


class CompactRange:
    """The right edge of a tree of `size` leaves: one perfect-subtree root per set bit of size,
    largest first. Appending is amortised O(1) hashes; the root folds the edge from the right."""

    __slots__ = ("size", "hashes")

    def __init__(self, size: int = 0, hashes: list[bytes] | None = None):
        self.size = size
        self.hashes = list(hashes or [])
        if len(self.hashes) != bin(size).count("1"):
            raise VerificationError(f"a tree of {size} leaves has {bin(size).count('1')} edge hashes, not {len(self.hashes)}")

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns the perfect subtrees it completed as (level, index, hash)."""
        hashes, size, node, level, completed = self.hashes, self.size, leaf, 0, []
        while size & 1:
            node = node_hash(hashes.pop(), node)
            size >>= 1
            level += 1
            completed.append((level, size, node))
        hashes.append(node)
        self.size += 1
        return completed

    def extend(self, leaves) -> None:
        """append() without reporting subtrees: the verifier's hot loop."""
        hashes, count = self.hashes, self.size
        for node in leaves:
            size = count
            while size & 1:
                node = _sha256(b"\x01" + hashes.pop() + node).digest()
                size >>= 1
            hashes.append(node)
            count += 1
        self.size = count

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        node = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            node = node_hash(left, node)
        return node

    def pack(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def unpack(cls, size: int, packed: bytes) -> CompactRange:
        return cls(size, [bytes(packed[i : i + 32]) for i in range(0, len(packed), 32)])


def root_of(leaves: list[bytes]) -> bytes:
    edge = CompactRange()
    edge.extend(leaves)
    return edge.root()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_path(index: int, size: int, subtree) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(m, D[n]); `subtree(start, end)` returns MTH(D[start:end])."""
    path: list[bytes] = []

    def walk(m: int, start: int, end: int) -> None:
        n = end - start
        if n == 1:
            return
        k = _split(n)
        if m < k:
            walk(m, start, start + k)
            path.append(subtree(start + k, end))
        else:
            walk(m - k, start + k, end)
            path.append(subtree(start, start + k))

    walk(index, 0, size)
    return path


def consistency_path(old: int, new: int, subtree) -> list[bytes]:
    """RFC 9162 2.1.4.1 PROOF(m, D[n])."""
    if not 0 < old <= new:
        raise VerificationError(f"no consistency proof from size {old} to {new}")
    proof: list[bytes] = []

    def sub(m: int, start: int, end: int, whole: bool) -> None:
        n = end - start
        if m == n:
            if not whole:
                proof.append(subtree(start, end))
            return
        k = _split(n)
        if m <= k:
            sub(m, start, start + k, whole)
            proof.append(subtree(start + k, end))
        else:
            sub(m - k, start + k, end, False)
            proof.append(subtree(start, start + k))

    sub(old, 0, new, True)
    return proof


def verify_inclusion(*, index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> None:
    """RFC 9162 2.1.3.2."""
    if not 0 <= index < size:
        raise VerificationError(f"leaf {index} is not in a tree of {size} leaves")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise VerificationError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise VerificationError(f"leaf {index} is not included in the tree of size {size} with that root")


def verify_consistency(*, old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: list[bytes]) -> None:
    """RFC 9162 2.1.4.2."""
    if old_size == new_size:
        if path or old_root != new_root:
            raise VerificationError(f"two different trees of the same size {old_size}")
        return
    if not 0 < old_size < new_size:
        raise VerificationError(f"no consistency from size {old_size} to {new_size}: the log shrank")
    path = list(path)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, old_root)
    if not path:
        raise VerificationError("the consistency proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise VerificationError(
            f"the tree of size {new_size} does not extend the tree of size {old_size}: history was rewritten"
        )


# --- signed checkpoints (C2SP tlog-checkpoint on a signed note) ------------------------------------


def key_id(name: str, public: bytes) -> bytes:
    return _sha256(name.encode() + b"\n" + _ED25519 + public).digest()[:4]


def verifier_key(name: str, public: bytes) -> str:
    """The note verifier key: name+keyid(hex)+base64(0x01 || public key)."""
    return f"{name}+{key_id(name, public).hex()}+{base64.b64encode(_ED25519 + public).decode()}"


@dataclass(frozen=True)
class Verifier:
    name: str
    public: bytes

    @classmethod
    def parse(cls, text: str) -> Verifier:
        try:
            name, kid, blob = text.strip().split("+", 2)  # base64 may hold "+" too
            raw = base64.b64decode(blob, validate=True)
        except ValueError:
            raise VerificationError("the verifier key is not name+keyid+base64") from None
        if raw[:1] != _ED25519 or len(raw) != 33 or key_id(name, raw[1:]).hex() != kid:
            raise VerificationError("the verifier key is not an Ed25519 note key")
        return cls(name, raw[1:])


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()
    text: str = ""

    @property
    def time(self) -> str:
        return self.extension("time")

    def extension(self, word: str) -> str:
        for line in self.extensions:
            if line.split(" ", 1)[0] == word:
                return line.split(" ", 1)[1] if " " in line else ""
        return ""

    @property
    def pruned(self) -> list[tuple[int, int, str]]:
        out = []
        for line in self.extensions:
            parts = line.split(" ", 3)
            if parts[0] == "pruned" and len(parts) >= 3:
                out.append((int(parts[1]), int(parts[2]), parts[3] if len(parts) > 3 else ""))
        return out

    def digest(self) -> str:
        return base64.b64encode(_sha256(self.text.encode()).digest()).decode()


def checkpoint_body(*, origin: str, size: int, root: bytes, extensions: list[str]) -> str:
    lines = [origin, str(size), base64.b64encode(root).decode(), *extensions]
    if any(not line or "\n" in line for line in lines):
        raise ValueError("checkpoint lines are non-empty single lines")
    return "\n".join(lines) + "\n"


def sign_note(body: str, *, name: str, seed: bytes) -> str:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes_raw()
    signature = private.sign(body.encode())
    return f"{body}\n{_SIG_PREFIX}{name} {base64.b64encode(key_id(name, public) + signature).decode()}\n"


def open_checkpoint(text: str, verifier: Verifier) -> Checkpoint:
    """Check the note's signature by `verifier` and parse the checkpoint it carries."""
    if text.lstrip().startswith("{"):
        text = json.loads(text)["checkpoint"]
    body, sep, signatures = text.partition("\n\n")
    if not sep:
        raise VerificationError("not a signed note: no blank line before the signatures")
    body += "\n"
    wanted = key_id(verifier.name, verifier.public)
    for line in signatures.splitlines():
        if not line.startswith(_SIG_PREFIX):
            raise VerificationError("not a signed note: a signature line does not start with an em dash")
        name, _, blob = line[len(_SIG_PREFIX) :].rpartition(" ")
        raw = base64.b64decode(blob)
        if name != verifier.name or raw[:4] != wanted:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(verifier.public).verify(raw[4:], body.encode())
        except InvalidSignature:
            raise VerificationError("the checkpoint's signature is invalid: it was altered") from None
        lines = body[:-1].split("\n")
        if len(lines) < 3 or not lines[1].isdigit():
            raise VerificationError("the signed note is not a checkpoint")
        return Checkpoint(lines[0], int(lines[1]), base64.b64decode(lines[2]), tuple(lines[3:]), text)
    raise VerificationError(f"the checkpoint is not signed by {verifier.name}")


# --- the exported log ---------------------------------------------------------------------------------


@dataclass
class LogReport:
    origin: str
    size: int
    first_index: int
    checked: list[int] = field(default_factory=list)


def verify_export(lines, checkpoints: list[Checkpoint]) -> LogReport:
    """Recompute the tree of an exported log and compare it with every checkpoint.

    The export is JSON Lines: a header {"format", "origin", "size", "prefix": {"size", "hashes"}}
    (the compact range of a pruned prefix, base64), then one canonical entry per line in leaf order.
    Each entry is hashed exactly as written.
    """
    it = iter(lines)
    try:
        header = json.loads(next(it))
    except (StopIteration, ValueError):
        raise VerificationError("the export has no header line") from None
    if header.get("format") != EXPORT_FORMAT:
        raise VerificationError(f"the export is not {EXPORT_FORMAT}")
    prefix = header.get("prefix") or {"size": 0, "hashes": []}
    edge = CompactRange(int(prefix["size"]), [base64.b64decode(h) for h in prefix["hashes"]])
    first = edge.size
    wanted = sorted(checkpoints, key=lambda c: c.size)
    for cp in wanted:
        if cp.origin != header["origin"]:
            raise VerificationError(f"a checkpoint is for {cp.origin}, not for {header['origin']}")
    report = LogReport(header["origin"], first, first)
    pending = [cp for cp in wanted if cp.size >= first]
    for cp in wanted:
        if cp.size < first:
            raise VerificationError(f"a checkpoint of size {cp.size} is older than the pruned prefix ({first} leaves)")

    def check_at_edge() -> None:
        while pending and pending[0].size == edge.size:
            cp = pending.pop(0)
            if edge.root() != cp.root:
                raise VerificationError(
                    f"the log's first {cp.size} entries do not hash to the checkpoint's root: "
                    "an entry was edited, deleted, inserted or reordered"
                )
            report.checked.append(cp.size)

    check_at_edge()
    chunk: list[bytes] = []
    for line in it:
        entry = line.rstrip(b"\r\n") if isinstance(line, bytes) else line.rstrip("\r\n").encode()
        if not entry:
            continue
        chunk.append(_sha256(b"\x00" + entry).digest())
        # Leaves go in chunks, cut where a checkpoint's size falls, so the hot loop stays in extend().
        if pending and edge.size + len(chunk) == pending[0].size or len(chunk) >= 65536:
            edge.extend(chunk)
            chunk = []
            check_at_edge()
    edge.extend(chunk)
    check_at_edge()
    if edge.size != int(header["size"]):
        raise VerificationError(f"the export says {header['size']} entries but holds {edge.size}")
    if pending:
        raise VerificationError(
            f"a checkpoint covers {pending[-1].size} entries but the log has {edge.size}: its newest entries were removed"
        )
    report.size = edge.size
    return report


def _read_key(value: str) -> Verifier:
    if "+" not in value:
        with open(value) as f:
            value = f.read()
    return Verifier.parse(value)


def _b64list(values) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Verify a Sightguard audit log, checkpoints and proofs offline.")
    parser.add_argument("--key", required=True, help="verifier key (name+keyid+base64) or a file holding it")
    parser.add_argument("--checkpoint", action="append", default=[], help="a signed checkpoint file (repeatable)")
    parser.add_argument("--log", help="an exported log (JSON Lines)")
    parser.add_argument("--inclusion", help="an inclusion proof (JSON) to check against the newest --checkpoint")
    parser.add_argument("--consistency", help="a consistency proof (JSON) between the two --checkpoint files")
    args = parser.parse_args(argv)
    try:
        verifier = _read_key(args.key)
        checkpoints = []
        for name in args.checkpoint:
            with open(name) as f:
                checkpoints.append(open_checkpoint(f.read(), verifier))
        said = []
        if args.log:
            with open(args.log, "rb") as f:
                report = verify_export(f, checkpoints)
            said.append(f"{report.origin}: {report.size} entries match {len(report.checked)} checkpoint(s)")
        if args.inclusion:
            with open(args.inclusion) as f:
                proof = json.load(f)
            if not checkpoints:
                raise VerificationError("an inclusion proof needs the checkpoint it is against")
            cp = max(checkpoints, key=lambda c: c.size)
            if proof["tree_size"] != cp.size:
                raise VerificationError(f"the proof is for size {proof['tree_size']}, the checkpoint has {cp.size}")
            leaf = leaf_hash(proof["entry"].encode())
            verify_inclusion(index=proof["index"], size=cp.size, leaf=leaf, path=_b64list(proof["path"]), root=cp.root)
            said.append(f"entry {proof['index']} is in {cp.origin} at size {cp.size}")
        if args.consistency:
            with open(args.consistency) as f:
                proof = json.load(f)
            if len(checkpoints) != 2:
                raise VerificationError("a consistency proof needs the two checkpoints it joins")
            old, new = sorted(checkpoints, key=lambda c: c.size)
            if (proof["old_size"], proof["new_size"]) != (old.size, new.size) or old.origin != new.origin:
                raise VerificationError("the proof is not between these two checkpoints")
            verify_consistency(
                old_size=old.size, new_size=new.size, old_root=old.root, new_root=new.root, path=_b64list(proof["path"])
            )
            said.append(f"{new.origin} at size {new.size} extends size {old.size}")
        if not said:
            said.append(f"{len(checkpoints)} checkpoint signature(s) valid")
    except VerificationError as exc:
        print(f"FAILED: {exc}")
        return 1
    except (OSError, ValueError, KeyError) as exc:
        print(f"FAILED: unreadable input ({exc.__class__.__name__}: {exc})")
        return 2
    print("ok: " + "; ".join(said))
    return 0


if __name__ == "__main__":
    sys.exit(main())
