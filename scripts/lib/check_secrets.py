"""Fail when a tracked file holds a possible secret that nobody has reviewed in .secrets.baseline.

Scans into a copy of the baseline, so shifted line numbers of reviewed findings never fail the run; a finding
is reviewed when the baseline marks it `"is_secret": false` (detect-secrets audit .secrets.baseline).
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as folder:
    copy = f"{folder}/baseline.json"
    shutil.copy(".secrets.baseline", copy)
    scanner = Path(sys.executable).with_name("detect-secrets")  # the virtualenv's console script
    subprocess.run([scanner, "scan", "--baseline", copy], check=True)  # noqa: S603
    with open(copy) as handle:
        results = json.load(handle)["results"]

unreviewed = [
    f"{path}:{finding['line_number']} {finding['type']}"
    for path, findings in results.items()
    for finding in findings
    if finding.get("is_secret") is not False
]
if unreviewed:
    print("Possible secrets not reviewed in .secrets.baseline:", *unreviewed, sep="\n  ")
    print("Move real secrets to the environment; mark false positives with `detect-secrets audit .secrets.baseline`.")
    sys.exit(1)
print(f"No unreviewed secrets ({sum(map(len, results.values()))} reviewed findings).")
