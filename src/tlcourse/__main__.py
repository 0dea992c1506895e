"""Command line: ``python -m tlcourse list | fetch NAME... | mirror DIR [NAME...] | preflight [LESSON...]``."""

from __future__ import annotations

import argparse
import sys

from . import assets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tlcourse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list every remote file the course uses")
    p_fetch = sub.add_parser("fetch", help="fetch assets into the cache")
    p_fetch.add_argument("names", nargs="+")
    p_mirror = sub.add_parser("mirror", help="pre-download every asset into DIR for an offline classroom "
                                             "(then set TLCOURSE_MIRROR=DIR)")
    p_mirror.add_argument("dir")
    p_mirror.add_argument("names", nargs="*")
    p_pre = sub.add_parser("preflight", help="check that every file the lessons need is at hand (cache, mirror or "
                                             "download) before the book executes them; one summary, exit 1 if not")
    p_pre.add_argument("lessons", nargs="*")
    args = parser.parse_args(argv)
    if args.command == "preflight":
        from . import preflight

        try:
            return preflight.main(args.lessons or None)
        except KeyError as err:
            print(f"error: {err.args[0] if err.args else err}", file=sys.stderr)
            return 2
    try:
        if args.command == "list":
            for a in assets.ASSETS.values():
                check = f"{a.checksum[0]} {a.checksum[1]}" if a.checksum else "no published checksum"
                size = f"{a.size:,} B" if a.size else "size unknown"
                print(f"{a.name}\n    {a.url}\n    {size}; {check}; cache {a.cache}; {a.licence}")
        elif args.command == "fetch":
            for name in args.names:
                print(assets.fetch(name))
        elif args.command == "mirror":
            out = assets.build_mirror(args.dir, args.names or None)
            print(f"Mirror ready: {out}. Use it with: export TLCOURSE_MIRROR={out.resolve()}")
    except (assets.AssetError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
