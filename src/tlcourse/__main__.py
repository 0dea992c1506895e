"""Command line: ``python -m tlcourse list | fetch NAME... | mirror DIR [NAME...] | preflight [LESSON...] |
quarantine [--empty]``."""

from __future__ import annotations

import argparse
import sys

from . import assets


def main(argv: list[str] | None = None) -> int:
    """Run one command; every error ends in one message on stderr (no traceback) and a non-zero exit."""
    try:
        return _main(argv)
    except (assets.AssetError, KeyError) as err:
        print(f"error: {err.args[0] if isinstance(err, KeyError) and err.args else err}", file=sys.stderr)
    except OSError as err:
        where = f" ({err.filename})" if err.filename else ""
        print(f"error: {err.strerror or err}{where}.\nWhat to do: check that this path exists and that you may read "
              "and write it, then run the command again.", file=sys.stderr)
    except Exception as err:  # noqa: BLE001 - a bug: still one message, with what to report
        print(f"error: {type(err).__name__}: {err}\nThis is a bug in tlcourse: please report it with the command "
              "you ran.", file=sys.stderr)
    return 1


def _main(argv: list[str] | None) -> int:
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
    p_q = sub.add_parser("quarantine", help="show the folders of rejected (damaged) copies; --empty deletes them")
    p_q.add_argument("--empty", action="store_true", help="delete the quarantine folders and the copies in them")
    args = parser.parse_args(argv)
    if args.command == "preflight":
        from . import preflight

        try:
            return preflight.main(args.lessons or None)
        except KeyError as err:
            print(f"error: {err.args[0] if err.args else err}", file=sys.stderr)
            return 2
    if args.command == "list":
        for a in assets.ASSETS.values():
            check = f"{a.checksum[0]} {a.checksum[1]}" if a.checksum else "no published checksum"
            size = f"{a.size:,} B" if a.size else "size unknown"
            print(f"{a.name}\n    {a.url}\n    {size}; {check}; cache {a.cache}; {a.licence}")
    elif args.command == "fetch":
        for name in args.names:
            print(assets.fetch(name))
    elif args.command == "quarantine":
        found = assets.empty_quarantines() if args.empty else assets.quarantines()
        for folder, n, size in found:
            print(f"{'deleted' if args.empty else 'quarantine'}: {folder}: {n} file(s), {size / 1e6:,.1f} MB")
        if not found:
            print("No quarantine folder holds anything.")
        elif not args.empty:
            print("These are copies the course refused as damaged. Look at them, or delete them with "
                  "`python -m tlcourse quarantine --empty`.")
    elif args.command == "mirror":
        out = assets.build_mirror(args.dir, args.names or None)
        print(f"Mirror ready: {out}. Use it with: export TLCOURSE_MIRROR={out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
