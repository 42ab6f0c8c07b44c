"""`python -m logdoctor.samplegen [OUTDIR]`: rewrite every sample log and MANIFEST.json."""

from __future__ import annotations

import argparse
from pathlib import Path

from logdoctor.samplegen.build import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m logdoctor.samplegen",
        description="Write the sample RuleManager logs, MANIFEST.json and README.md.",
    )
    parser.add_argument("outdir", nargs="?", default="samples", help="target directory")
    args = parser.parse_args(argv)
    outdir = Path(args.outdir)
    manifest = generate(outdir)
    files = manifest["files"]
    assert isinstance(files, list)
    print(f"wrote {len(files)} sample logs into {outdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
