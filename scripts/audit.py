"""`make audit`: pip-audit against the lock files, and a clear word when nothing was audited.

pip-audit asks a vulnerability database about every locked release (PyPI's JSON API by
default, OSV with AUDIT_SERVICE=osv). Where that database cannot be reached, pip-audit
reports the packages as skipped and still says "No known vulnerabilities found"; this
script says instead that the audit did not happen, and exits 3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ["requirements.lock", "requirements-dev.lock"]


def main() -> int:
    service = os.environ.get("AUDIT_SERVICE", "pypi")
    args = [sys.executable, "-m", "pip_audit", "--disable-pip", "--progress-spinner", "off"]
    args += ["--vulnerability-service", service, "--format", "json"]
    for lock in LOCKS:
        args += ["-r", str(ROOT / lock)]
    run = subprocess.run(args, capture_output=True, text=True, check=False)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        print(run.stderr.strip() or run.stdout.strip(), file=sys.stderr)
        print(
            f"audit: the {service} vulnerability database could not be reached; NOTHING WAS AUDITED"
        )
        return 3
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    found = [
        (d["name"], d["version"], v["id"], v.get("fix_versions", []))
        for d in deps
        for v in d.get("vulns", [])
    ]
    for name, version, vuln, fixes in found:
        print(
            f"VULNERABLE {name} {version}: {vuln} (fixed in {', '.join(fixes) or 'no release yet'})"
        )
    audited = len(deps) - len(skipped)
    if deps and not audited:
        print(
            f"audit: the {service} vulnerability database answered for none of the {len(deps)} "
            "locked packages (unreachable from here); NOTHING WAS AUDITED. Run `make audit` "
            "where it is reachable, or AUDIT_SERVICE=osv."
        )
        return 3
    if skipped:
        print(f"audit: {len(skipped)} of {len(deps)} packages could not be checked:")
        for d in skipped:
            print(f"  {d['name']} {d.get('version', '')}: {d['skip_reason']}")
    print(
        f"audit: {audited} packages checked against {service}, {len(found)} known vulnerabilities"
    )
    return 1 if found or skipped else 0


if __name__ == "__main__":
    raise SystemExit(main())
