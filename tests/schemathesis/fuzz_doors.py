"""Fuzz each door's OpenAPI contract with schemathesis against the real server.

Starts `babyvax contract-target` (server + fake WeChat + throw-away SQLite; it exits when our
stdin to it closes), logs in per door as doors.json says, sets up data, then runs schemathesis
with every check on the door's contract, and the operations that end the session last, each
with a fresh login. Exits non-zero if any run found anything.

    fuzz_doors.py BINARY SCHEMATHESIS REPORT_DIR [DOOR ...]
"""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Facts:
    """What contract-target printed; `{name}` and `{next:list}` placeholders read from it."""

    def __init__(self, facts):
        self.facts = facts
        self.taken = {}

    def fill(self, value):
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if not isinstance(value, str):
            return value
        match = re.fullmatch(r"\{next:(\w+)\}", value)
        if match:
            name = match.group(1)
            index = self.taken.get(name, 0)
            self.taken[name] = index + 1
            return self.facts[name][index]
        return re.sub(r"\{(\w+)\}", lambda m: str(self.facts[m.group(1)]), value)


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def login(base, door, facts):
    spec = door["login"]
    status, body = call(base, "POST", spec["path"], facts.fill(spec["body"]))
    if status != 200:
        sys.exit(f"{door['name']}: login answered {status}: {body}")
    return body[spec["token"]]


def schemathesis(tool, base, door, token, report, extra):
    command = [
        tool,
        "run",
        base + door["spec"],
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--seed",
        os.environ.get("SCHEMATHESIS_SEED", "20261129"),
        "--max-examples",
        os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50"),
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        "--no-color",
        *extra,
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HERE / "hooks.py"),
        "BABYVAX_CONTEXT_REFUSALS": json.dumps(door.get("context_refusals", {})),
    }
    print("+", " ".join(command), flush=True)
    # Schemathesis keeps a cache in its working directory: keep it under target/.
    return subprocess.run(command, env=env, cwd=report.parent).returncode


def main():
    binary, tool, report_dir = sys.argv[1:4]
    tool = str(Path(tool).absolute())
    wanted = set(sys.argv[4:])
    doors = json.loads((HERE / "doors.json").read_text())["doors"]
    doors = [d for d in doors if not wanted or d["name"] in wanted]
    report_dir = Path(report_dir).resolve()
    report_dir.mkdir(parents=True, exist_ok=True)

    target = subprocess.Popen(
        [binary, "contract-target"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "info")},
        text=True,
    )
    failed = []
    log = open(report_dir / "contract-target.log", "w")
    try:
        # Log lines, then the one JSON line that says it listens.
        for line in target.stdout:
            if line.startswith("{"):
                break
            log.write(line)
        else:
            sys.exit("contract-target exited before it listened")
        facts = Facts(json.loads(line))
        # The server goes on logging; a full pipe would stall it.
        threading.Thread(target=shutil.copyfileobj, args=(target.stdout, log), daemon=True).start()
        base = facts.facts["base_url"]
        for door in doors:
            token = login(base, door, facts)
            for step in door.get("setup", []):
                status, body = call(base, step["method"], step["path"], facts.fill(step.get("body")), token)
                if not 200 <= status < 300:
                    sys.exit(f"{door['name']}: setup {step['method']} {step['path']} answered {status}: {body}")
            last = door.get("last", [])
            skip = []
            for op in last:
                skip += ["--exclude-name", f"{op['method']} {op['path']}"]
            name = door["name"]
            if schemathesis(tool, base, door, token, report_dir / f"{name}.xml", skip) != 0:
                failed.append(name)
            for i, op in enumerate(last):
                only = ["--include-name", f"{op['method']} {op['path']}"]
                report = report_dir / f"{name}-last-{i}.xml"
                if schemathesis(tool, base, door, login(base, door, facts), report, only) != 0:
                    failed.append(f"{name} {op['method']} {op['path']}")
    finally:
        target.stdin.close()
        target.wait(timeout=30)
    if failed:
        sys.exit("schemathesis found failures in: " + ", ".join(failed))
    print("schemathesis: no failures on", ", ".join(d["name"] for d in doors))


if __name__ == "__main__":
    main()
