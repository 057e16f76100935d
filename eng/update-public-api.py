#!/usr/bin/env python3
"""Adds every undeclared public symbol (RS0016) of the given shipped projects to their PublicAPI.Unshipped.txt.

The IDE's code fix does the same one symbol at a time; `dotnet format` does not apply it. This builds each project with a
SARIF error log and reads the analyzer's own API names from it, so the lines are exactly what the analyzer expects.
Usage: python3 eng/update-public-api.py [src/Reactive.Streams.Core ...]   (default: every project under src/)
Run it twice after adding a record: some implicit members are reported only once their type is declared.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

projects = sys.argv[1:] or sorted(os.path.dirname(p) for p in glob.glob("src/*/*.csproj"))
for project in projects:
    sarif = os.path.join(tempfile.mkdtemp(), "build.sarif")
    subprocess.run(["dotnet", "build", project, "-c", "Release", f"-p:ErrorLog={sarif}"], stdout=subprocess.DEVNULL, check=False)
    results = json.load(open(sarif))["runs"][0]["results"]
    names = {r["properties"]["customProperties"]["APIName"] for r in results if r["ruleId"] == "RS0016"}
    path = os.path.join(project, "PublicAPI.Unshipped.txt")
    existing = [line for line in open(path).read().splitlines()[1:] if line.strip()] if os.path.exists(path) else []
    lines = sorted(set(existing) | names)
    with open(path, "w") as f:
        f.write("#nullable enable\n" + "".join(line + "\n" for line in lines))
    print(f"{project}: {len(names)} added")
