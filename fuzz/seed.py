#!/usr/bin/env python3
"""Seeds fuzz/corpus/callback from the XML documents in tests/fixtures/wechat-samples.json.

Each document is written twice: with a leading 0x00 (raw request body) and 0x01 (plaintext that
the target encrypts first); see fuzz_targets/callback.rs. The corpus is not committed.
"""
import hashlib
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE.parent / "tests" / "fixtures" / "wechat-samples.json"
CORPUS = HERE / "corpus" / "callback"


def xml_documents(node):
    """Every string in the fixture file that is an <xml> document, in file order."""
    if isinstance(node, dict):
        for value in node.values():
            yield from xml_documents(value)
    elif isinstance(node, list):
        for value in node:
            yield from xml_documents(value)
    elif isinstance(node, str) and node.lstrip().startswith("<xml"):
        yield node


def main():
    CORPUS.mkdir(parents=True, exist_ok=True)
    docs = list(dict.fromkeys(xml_documents(json.loads(FIXTURES.read_text("utf-8")))))
    written = 0
    for doc in docs:
        for mode in (b"\x00", b"\x01"):
            data = mode + doc.encode("utf-8")
            # Content-addressed names, like libFuzzer's own, so re-seeding adds no duplicates.
            (CORPUS / hashlib.sha1(data).hexdigest()).write_bytes(data)
            written += 1
    print(f"{len(docs)} documents -> {written} seeds in {CORPUS}")


if __name__ == "__main__":
    main()
