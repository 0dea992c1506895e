"""Get a verified local copy of every remote file the course uses (the table is ``registry.py``).

``fetch(name)`` looks, in order:

1. in the cache (``data/`` of the course, or ``$TLCOURSE_DATA``; Keras-managed files in Keras's own cache,
   ``$KERAS_HOME``), including a file a user saved there by hand;
2. in an offline mirror folder, ``$TLCOURSE_MIRROR`` (laid out like ``python -m tlcourse mirror`` writes it);
3. on the internet (unless ``TLCOURSE_OFFLINE=1``), downloaded by pooch with a progress bar into a temporary file
   that is renamed into place only once verified.

Every copy, on every path, is checked against all that is known about the file, best evidence first: the
publisher's checksum (for a Zenodo ``doi:`` URL, the md5 Zenodo publishes), the registry's checksum or known copies,
the mirror's ``SHA256SUMS``, and last the sha256 recorded when the course first obtained it; and its size. A copy
that fails is never deleted: it is moved to a quarantine folder and the message says where. Only a file that is
absent, offline, raises :class:`AssetMissing` (a lesson may answer it with an announced stand-in); every other
problem raises an :class:`AssetError` that names the cause and what to do.

Kept apart, and re-exported here: the errors (``errors.py``), ``SHA256SUMS`` lists (``checksums.py``) and safe
extraction (``archives.py``). The per-file lock and atomic writes are in ``files.py``, the format check in
``checks.py``.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import os
import re
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

from .archives import extract
from .checks import format_problem
from .checksums import read_sums, write_sums
from .errors import DISK_FULL, AssetError, AssetMissing, is_disk_error, unreadable
from .files import atomic_copy, atomic_write, file_in_the_way, lock, remove_stale_parts, umask
from .registry import ASSETS, Asset

__all__ = [
    "Asset", "AssetError", "AssetMissing", "ASSETS", "get", "fetch", "extract", "cache_dir", "keras_home",
    "is_offline", "mirror_dir", "build_mirror", "file_hash", "locate", "keras_weights", "quarantine_dir",
    "read_sums", "quarantines", "empty_quarantines",
]

_USER_AGENT = "tlcourse/0.1 (+Transfer Learning with TensorFlow course)"
ZENODO_API = "https://zenodo.org/api"  # TLCOURSE_ZENODO_API overrides it (tests run a local server)


# --------------------------------------------------------------------------- settings and locations

def is_offline() -> bool:
    """True when ``TLCOURSE_OFFLINE`` is set to 1/true/yes: no download is attempted."""
    return os.environ.get("TLCOURSE_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def mirror_dir() -> Path | None:
    """The offline mirror folder named by ``TLCOURSE_MIRROR``, or None."""
    value = os.environ.get("TLCOURSE_MIRROR", "").strip()
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """The course's download cache: ``$TLCOURSE_DATA``, else ``data/`` of the course checkout,
    else ``~/.cache/tlcourse`` (for a pip install without the repository, e.g. on Colab)."""
    value = os.environ.get("TLCOURSE_DATA", "").strip()
    if value:
        return Path(value).expanduser()
    repo_data = Path(__file__).resolve().parents[2] / "data"
    if (repo_data / "README.md").exists():
        return repo_data
    return Path.home() / ".cache" / "tlcourse"


def keras_home() -> Path:
    """Keras's own cache folder (``$KERAS_HOME``, default ``~/.keras``). Keras reads the variable
    once, when it is imported, so once Keras is imported we ask Keras."""
    if "keras" in sys.modules:
        with contextlib.suppress(Exception):
            from keras.src.backend import config
            return Path(config.keras_home())
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()


def _cache_root(asset: Asset) -> tuple[Path, str]:
    """The cache folder of ``asset`` and the setting that names it."""
    if asset.cache.startswith("keras/"):
        return keras_home(), "KERAS_HOME"
    return cache_dir(), "TLCOURSE_DATA"


def locate(asset: Asset) -> Path:
    """Where the verified copy of ``asset`` lives once fetched."""
    root, _ = _cache_root(asset)
    return root / asset.cache.split("/", 1)[1] / asset.filename if asset.cache.startswith("keras/") \
        else root / asset.filename


def quarantine_dir(asset: Asset) -> Path:
    """Where rejected copies of ``asset`` are moved: ``<cache folder>_quarantine/`` beside the cache folder."""
    root, _ = _cache_root(asset)
    return root.with_name(root.name + "_quarantine")


def _check_setting(var: str, path: Path, *, is_mirror: bool = False, target: Path | None = None) -> None:
    """Raise an AssetError naming ``var`` when it points at a file, below a file, or (mirror) nowhere."""
    if (p := file_in_the_way(path)) is not None:
        what = "is a file" if p == path else f"is below {p}, which is a file"
        where = f"\n  expected path: {target}" if target else ""
        layout = " laid out like `python -m tlcourse mirror DIR` writes it" if is_mirror else ""
        raise AssetError(f"The setting {var}={path} {what}, not a folder.{where}\nWhat to do: point {var} at a "
                         f"folder{layout}.")
    if is_mirror and not path.is_dir():
        raise AssetError(f"The setting TLCOURSE_MIRROR={path} names a folder that does not exist (a typo, or a "
                         "drive that is not mounted?).\nWhat to do: point TLCOURSE_MIRROR at the mirror folder, "
                         "or unset it.")


def get(name: str) -> Asset:
    """The registry entry for ``name``; an unknown name raises a KeyError that suggests the closest known one."""
    if not isinstance(name, str) or name not in ASSETS:
        close = difflib.get_close_matches(str(name), list(ASSETS), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"Unknown asset {name!r}.{hint} Known assets: {', '.join(sorted(ASSETS))}. "
                       "Add new files to tlcourse.assets.ASSETS (the table in src/tlcourse/registry.py) with their "
                       "URL, size and checksum.")
    return ASSETS[name]


# --------------------------------------------------------------------------- evidence and verification

def file_hash(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """The hex digest of a file (pooch's implementation)."""
    import pooch
    return pooch.file_hash(str(path), alg=algorithm)


def _record_path(target: Path) -> Path:
    return target.parent / ".tlcourse-hashes" / f"{target.name}.sha256"


def _read_record(target: Path) -> tuple[str, str] | None:
    """(sha256, level) recorded for ``target``; a record whose file is gone is stale and removed."""
    p = _record_path(target)
    if not p.is_file():
        return None
    if not target.exists():
        with contextlib.suppress(OSError):
            p.unlink()
        return None
    parts = p.read_text().split()
    if not parts:
        return None
    by_hand = " ".join(parts[3:]).startswith("found in the cache")  # recorded from a copy saved by hand
    return parts[0], "by-hand" if by_hand else parts[2] if len(parts) > 2 else "first-seen"


def _remember(asset: Asset, target: Path, level: str, digest: str, origin: str) -> None:
    """Record the sha256 of a copy that no registry checksum covers: vouched for by Zenodo's md5 ("publisher"),
    by a mirror's SHA256SUMS ("mirror"), or by nothing yet ("first-seen", outranked by any better evidence). A copy
    found in the cache (saved by hand) is recorded too, but never refuses another copy whose format checks out."""
    if asset.checksum or level not in ("publisher", "mirror", "format"):
        return
    level = "first-seen" if level == "format" else level
    p = _record_path(target)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(p, "w", suffix=".tmp") as (out, _):
            out.write(f"{digest}  {target.name}  {level}  {origin}\n")
    except OSError as err:  # a read-only cache: the copy is still verified, it just cannot be remembered
        warnings.warn(f"Could not record the sha256 of {target} ({err.strerror or err}).", stacklevel=4)
    if level == "first-seen":
        warnings.warn(f"{asset.name}: no checksum is known (publisher, registry or mirror); recorded the sha256 "
                      f"{digest} of this first copy for later checks.", stacklevel=4)


def _verify(asset: Asset, path: Path, *, mirror_hash: str | None = None, record: tuple[str, str] | None = None,
            published: tuple[str, str, int | None] | None = None, is_mirror: bool = False) -> tuple[bool, str, str]:
    """Check ``path`` against the best evidence known. Returns (ok, why, evidence) where evidence is the level
    that decided: publisher > registry > mirror > first-seen > format. A file that cannot be read raises an
    AssetError naming it."""
    try:
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except OSError as err:
        raise unreadable(path, err, "TLCOURSE_MIRROR" if is_mirror else _cache_root(asset)[1]) from err
    sizes = [s for s in (asset.size, published[2] if published else None) if s is not None]
    for known_size, sha, what in asset.known_copies:
        if size == known_size:
            got = file_hash(path)
            if got == sha:
                return True, f"a known copy: {what}", "registry"
            if size not in sizes:
                return False, (f"sha256 {got}: it has the size of {what} ({size:,} bytes), whose sha256 is {sha}, so "
                               "its content is damaged"), "registry"
    if sizes and size != sizes[-1]:
        return False, f"size {size:,} bytes, the registry says {sizes[-1]:,}", "registry"
    algo, want = published[:2] if published else asset.checksum or (None, None)
    if want:
        got = file_hash(path, algo)
        level = "publisher" if published or asset.hash_from == "publisher" else "registry"
        return got == want.lower(), f"{algo} {got}, expected {want} ({level})", level
    if record and record[1] == "publisher":  # a copy once checked against the publisher's checksum
        got = file_hash(path)
        return got == record[0], f"sha256 {got}, recorded {record[0]} (checked against the publisher's)", "publisher"
    if mirror_hash:
        got = file_hash(path)
        ok = got == mirror_hash
        why = f"sha256 {got}, the mirror's SHA256SUMS lists {mirror_hash}"
        if not ok:
            why += ("; no publisher checksum exists for this file, so either the file or the mirror's SHA256SUMS may "
                    "be wrong")
        return ok, why, "mirror"
    if record:
        got = file_hash(path)
        if got == record[0] or record[1] != "by-hand":  # a copy saved by hand is no reference: check the format
            return got == record[0], f"sha256 {got}, recorded {record[0]} ({record[1]})", record[1]
    problem = format_problem(path, asset.filename)
    return problem is None, problem or "no checksum known; size and format checked", "format"


def _quarantine(asset: Asset, path: Path, why: str) -> Path:
    """Move a rejected copy aside (never delete a file a user may have placed); return where it went. Each copy gets
    its own new folder, so one never overwrites another."""
    try:
        quarantine_dir(asset).mkdir(parents=True, exist_ok=True)
        dest_dir = Path(tempfile.mkdtemp(dir=quarantine_dir(asset), prefix=time.strftime("%Y%m%d-%H%M%S-")))
        dest_dir.chmod(0o777 & ~umask())
        shutil.move(str(path), str(dest_dir / path.name))
    except OSError as err:
        raise AssetError(f"{path} is not a good copy of {asset.name!r} ({why}), and it could not be moved aside to "
                         f"{quarantine_dir(asset)} ({err.strerror or err}).\nWhat to do: move or delete it yourself, "
                         "then run the cell again.") from err
    with contextlib.suppress(OSError):
        _record_path(path).unlink()
    return dest_dir / path.name


def quarantines() -> list[tuple[Path, int, int]]:
    """Every quarantine folder that holds something: ``(folder, number of files, bytes)``."""
    out = []
    for root in dict.fromkeys((cache_dir(), keras_home())):
        q = root.with_name(root.name + "_quarantine")
        files = [p for p in q.rglob("*") if p.is_file()] if q.is_dir() else []
        if files:
            out.append((q, len(files), sum(p.stat().st_size for p in files)))
    return out


def empty_quarantines() -> list[tuple[Path, int, int]]:
    """Delete the quarantine folders (the rejected copies in them); returns what was deleted."""
    found = quarantines()
    for q, _, _ in found:
        shutil.rmtree(q)
    return found


# --------------------------------------------------------------------------- errors that say what to do

def _disk_error(asset: Asset, target: Path, err: OSError) -> AssetError:
    _, var = _cache_root(asset)
    if err.errno in DISK_FULL:
        what = (f"the disk is full or a file-size limit was hit while writing into {target.parent} "
                f"({os.strerror(err.errno)})")
        todo = f"free some disk space, or set {var} to a folder on a disk with enough free space"
    else:
        what = f"the cache folder {target.parent} cannot be written ({err.strerror or err})"
        todo = f"set {var} to a folder you can write to"
    todo += " (KERAS_HOME before importing Keras)" if var == "KERAS_HOME" else ""
    need = f" The file needs {asset.size / 1e6:,.1f} MB." if asset.size else ""
    return AssetError(f"Could not save {asset.name!r}: {what}. Nothing partial was left behind.{need}\n"
                      f"  expected path: {target}\n"
                      f"What to do: {todo}, then run the cell again.")


def _by_hand(asset: Asset, target: Path, reason: str, cls=AssetError) -> AssetError:
    url = asset.url or "(no public URL: this file comes only from an offline mirror)"
    if m := re.fullmatch(r"doi:10\.5281/zenodo\.(\d+)/(.+)", url):
        url = f"https://zenodo.org/records/{m[1]}/files/{m[2]}?download=1  (Zenodo record {m[1]}, {url})"
    offline = ("" if is_offline() else " Without internet, set TLCOURSE_OFFLINE=1: the lessons then use the cache "
               "and the mirror, and announced stand-ins for what is missing.")
    retry = ("connect to the internet and run the cell again with TLCOURSE_OFFLINE unset" if is_offline()
             else "check your connection and run the cell again")
    return cls(
        f"Could not get {asset.name!r}: {reason}\n"
        f"  URL:           {url}\n"
        f"  expected path: {target}\n"
        f"What to do: {retry}; or download the URL in a browser and "
        f"save it at the expected path (the course verifies it); or point TLCOURSE_MIRROR at a folder made with "
        f"`python -m tlcourse mirror DIR` on a machine with internet.{offline}"
    )


def _check_writable(asset: Asset, target: Path) -> None:
    root, var = _cache_root(asset)
    _check_setting(var, root)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".write-test-"):
            pass
    except OSError as err:
        if err.errno in DISK_FULL:
            raise _disk_error(asset, target, err) from err
        raise AssetError(
            f"The cache folder {target.parent} is not writable ({err.strerror or err}); the setting {var}={root} "
            f"names a read-only place.\n  expected path: {target}\n"
            f"What to do: set {var} to a folder you can write to, with enough free space"
            f"{' (before importing Keras)' if var == 'KERAS_HOME' else ''}."
        ) from err


def _timeout() -> float:
    return float(os.environ.get("TLCOURSE_TIMEOUT", "60"))


def _chain(err: BaseException):
    """``err`` and every exception it wraps (requests and urllib3 nest them in args, causes and contexts)."""
    seen, todo = set(), [err]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [x for x in (e.__cause__, e.__context__, getattr(e, "reason", None), *e.args)
                 if isinstance(x, BaseException)]


def _describe_network_error(err: BaseException) -> str:
    import requests
    if isinstance(err, requests.HTTPError) and err.response is not None:
        return f"the server answered HTTP {err.response.status_code} {err.response.reason}"
    if isinstance(err, requests.TooManyRedirects):
        return "too many redirects (a redirect loop?)"
    chain = list(_chain(err))
    text = " ".join(str(e) for e in chain)
    if isinstance(err, requests.Timeout) or "timed out" in text.lower():
        return f"the server did not answer within {_timeout():.0f} s (set TLCOURSE_TIMEOUT to wait longer)"
    if any(type(e).__name__ in ("NameResolutionError", "gaierror") for e in chain):
        return "the host name could not be resolved (no internet connection, or a DNS problem)"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in text:
        return "the server refused the connection (is it down, or is a firewall blocking it?)"
    if "CERTIFICATE_VERIFY_FAILED" in text or isinstance(err, requests.exceptions.SSLError):
        return ("SSL certificate verify failed. Your Python does not trust the server's certificate "
                "(common on macOS python.org installs: run 'Install Certificates.command'; elsewhere "
                "`pip install --upgrade certifi` and `export SSL_CERT_FILE=\"$(python -m certifi)\"`, or ask your "
                "network admin about a proxy certificate)")
    if "IncompleteRead" in text or isinstance(err, requests.exceptions.ChunkedEncodingError):
        return "the connection closed before the whole file arrived (truncated download)"
    if isinstance(err, (requests.ConnectionError, ConnectionError)):
        return f"the connection failed ({type(err).__name__})"
    return f"{type(err).__name__}: {err}"


# --------------------------------------------------------------------------- downloading (pooch)

class _VerificationFailed(Exception):
    """A download arrived whole but is not the expected file (checksum, size or format)."""


def zenodo_file(url: str) -> tuple[str, tuple[str, str, int | None]]:
    """For a ``doi:10.5281/zenodo.<record>/<file>`` URL: the file's download URL and (algorithm, digest, size) as
    the Zenodo record publishes them. The API base is ``$TLCOURSE_ZENODO_API`` (default ``ZENODO_API``)."""
    from pooch.downloaders import ZenodoRepository

    m = re.fullmatch(r"doi:(10\.5281/zenodo\.(\d+))/(.+)", url)
    if not m:
        raise ValueError(f"{url!r} is not a Zenodo DOI URL of the form doi:10.5281/zenodo.<record>/<file>.")
    doi, record, fname = m.groups()
    repo = ZenodoRepository(doi, f"https://zenodo.org/records/{record}", timeout=_timeout(),
                            headers={"User-Agent": _USER_AGENT})
    repo.base_api_url = os.environ.get("TLCOURSE_ZENODO_API", ZENODO_API).rstrip("/") + "/records"
    try:
        files = {f.get("key", f.get("filename")): f for f in repo.api_response["files"]}
        entry = files[fname]
        algo, digest = entry["checksum"].split(":", 1)
        return repo.download_url(fname), (algo, digest, entry.get("size"))
    except KeyError as err:
        raise _VerificationFailed(f"the Zenodo record {record} lists no file {fname!r} with a checksum") from err


def _download(asset: Asset, target: Path, progress: bool) -> str:
    """Download ``asset`` with pooch into a temporary file next to ``target``; verify it; only then rename it into
    place. Returns the evidence level that vouched for it."""
    import pooch

    url, published = asset.url, None
    if url.startswith("doi:"):
        url, published = zenodo_file(url)
    downloader = pooch.HTTPDownloader(progressbar=progress, chunk_size=1 << 16, timeout=_timeout(),
                                      headers={"User-Agent": _USER_AGENT})
    with atomic_write(target) as (out, tmp):
        downloader(url, out, None)
        out.flush()
        ok, why, level = _verify(asset, tmp, published=published)
        if not ok:
            raise _VerificationFailed(why)
    return level


# --------------------------------------------------------------------------- fetch

def fetch(name: str, *, progress: bool = True, retries: int = 1) -> Path:
    """Return the path of a verified local copy of asset ``name`` (see the module docstring)."""
    asset = get(name)
    target = locate(asset)
    root, var = _cache_root(asset)
    _check_setting(var, root, target=target)
    try:
        with lock(target) as locked:
            return _fetch_locked(asset, target, locked, progress, retries)
    except OSError as err:
        if is_disk_error(err):
            raise _disk_error(asset, target, err) from err
        raise


def _fetch_locked(asset: Asset, target: Path, locked: bool, progress: bool, retries: int) -> Path:
    mirror = mirror_dir()
    if mirror is not None:
        _check_setting("TLCOURSE_MIRROR", mirror, is_mirror=True)
    listed = read_sums(mirror).get(asset.mirror_path) if mirror else None
    removed = ""
    if target.exists() and not target.is_file():
        raise unreadable(target, OSError(errno.EISDIR, "Is a directory"), _cache_root(asset)[1])
    # 1. cache (a copy the course wrote, or one a user saved by hand)
    record = _read_record(target)
    src = mirror / asset.mirror_path if mirror else None
    if target.is_file():
        size = target.stat().st_size
        # the mirror's list speaks of the mirror's copy: another copy of the registry's size is not judged by it
        other = listed and asset.size == size and src.is_file() and src.stat().st_size != size
        ok, why, level = _verify(asset, target, mirror_hash=None if other else listed, record=record)
        if ok:
            if level == "mirror" and (record is None or record[0] != listed):
                _remember(asset, target, level, listed, f"mirror {mirror}")
            elif level == "format":
                _remember(asset, target, level, file_hash(target), "found in the cache")
            return target
        _check_writable(asset, target)
        moved = _quarantine(asset, target, why)
        removed = f" The damaged copy in the cache ({why}) was moved to {moved}."
        warnings.warn(f"Cached {target} failed verification ({why}); moved to {moved}. Fetching it again.",
                      stacklevel=3)
    _check_writable(asset, target)
    if locked:
        remove_stale_parts(target)

    # 2. mirror
    if src is not None and (src.exists() or src.is_symlink()):
        ok, why, level = _verify(asset, src, mirror_hash=listed, is_mirror=True)
        if not ok:
            raise AssetError(f"The mirror copy {src} of {asset.name!r} failed verification ({why}).{removed}\n"
                             "What to do: replace it with a good copy (rebuild the mirror with `python -m tlcourse "
                             "mirror DIR`) or unset TLCOURSE_MIRROR.")
        atomic_copy(src, target)
        _remember(asset, target, level, listed or file_hash(target), f"mirror {src}")
        return target

    # 3. download
    if is_offline():
        where = f"not in the mirror {mirror}" if mirror else "no mirror is set (TLCOURSE_MIRROR)"
        cls = AssetError if removed else AssetMissing
        raise _by_hand(asset, target, f"offline (TLCOURSE_OFFLINE=1): not in the cache, and {where}.{removed}", cls)
    if not asset.url:
        raise _by_hand(asset, target, f"it is only available from an offline mirror.{removed}")
    import requests
    last: BaseException | None = None
    for attempt in range(retries + 1):
        try:
            level = _download(asset, target, progress)
        except _VerificationFailed as err:
            raise _by_hand(asset, target, f"the downloaded file failed verification ({err}); it was deleted. "
                                          f"A proxy or captive portal may have altered it.{removed}") from None
        except (requests.RequestException, OSError, ValueError) as err:
            if is_disk_error(err):
                raise _disk_error(asset, target, err) from err
            last = err
            status = getattr(getattr(err, "response", None), "status_code", None)
            if isinstance(err, requests.TooManyRedirects) or (status is not None and status < 500):
                break  # will not fix itself
            if attempt < retries:
                time.sleep(min(2 ** attempt, 5))
            continue
        _remember(asset, target, level, file_hash(target), asset.url)
        return target
    raise _by_hand(asset, target, _describe_network_error(last) + removed) from last


# --------------------------------------------------------------------------- Keras weights

def keras_weights(name: str) -> Path | None:
    """The verified weights file ``name`` where Keras will read it; None only offline when the file is absent
    (the one case for an announced stand-in). Every other problem raises an :class:`AssetError`.

    Keras uses ``$KERAS_HOME`` only when it can write there; otherwise it reads ``/tmp/.keras``
    (``keras.utils.get_file``). A verified file in a read-only KERAS_HOME is then copied, verified, to that
    folder, so Keras finds it without a download."""
    asset = get(name)
    if not asset.cache.startswith("keras/"):
        raise ValueError(f"{name!r} is not a Keras-managed file; use tlcourse.assets.fetch({name!r}).")
    try:
        path = fetch(name)
    except AssetMissing:
        return None
    home = keras_home()
    if os.access(home, os.W_OK):
        return path
    used = Path("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()) / ".keras"
    copy = used / asset.cache.split("/", 1)[1] / asset.filename
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        if not (copy.is_file() and _verify(asset, copy, record=(file_hash(path), "first-seen"))[0]):
            atomic_copy(path, copy)
    except OSError as err:
        raise AssetError(f"KERAS_HOME={home} is read-only, so Keras looks for {asset.filename} in {used} instead, "
                         f"and the verified copy could not be placed there ({err.strerror or err}).\nWhat to do: set "
                         "KERAS_HOME to a folder you can write to before importing Keras, or pass the file itself: "
                         f"weights={str(path)!r}.") from err
    print(f"Note: KERAS_HOME={home} is read-only, so Keras reads its cache from {used}; the verified "
          f"{asset.filename} was copied there.")
    return copy


def keras_file_available(name: str) -> bool:
    """Make sure the Keras-managed asset ``name`` (weights, a ``keras.datasets`` archive) is where Keras looks for
    it: already there, copied from the mirror, or downloaded (all verified). Returns False only offline, when the
    file is missing; online, a failed download raises the :class:`AssetError` that says what to do."""
    return keras_weights(name) is not None  # None only offline with the file absent; else it raises


# --------------------------------------------------------------------------- classroom mirror

def build_mirror(dest: str | os.PathLike, names: list[str] | None = None, *, progress: bool = True) -> Path:
    """Fetch every asset (or ``names``) into ``dest`` with the mirror layout and update ``SHA256SUMS``: the entries
    of the files written here are replaced, every other entry is kept. Point ``TLCOURSE_MIRROR`` at ``dest`` on
    machines without internet."""
    dest = Path(dest)
    _check_setting("mirror folder", dest)
    sums = read_sums(dest)  # a list the course cannot read stops here, before any download
    failures, skipped = [], []
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for name in names or list(ASSETS):
            asset = get(name)
            try:
                path = fetch(name, progress=progress)
            except AssetError as err:
                if asset.url is None and not names:
                    skipped.append(name)  # mirror-only stand-in sources: nothing to download
                    continue
                failures.append(f"{name}: {err}")
                continue
            out = dest / asset.mirror_path
            out.parent.mkdir(parents=True, exist_ok=True)
            if path.resolve() != out.resolve():
                atomic_copy(path, out)
            sums[asset.mirror_path] = file_hash(out)
            write_sums(dest, sums)
    except OSError as err:
        raise AssetError(f"The mirror folder {dest} cannot be written: {err.strerror or err}"
                         f"{f' ({err.filename})' if err.filename else ''}.\nWhat to do: choose a folder you can "
                         "write to, on a disk with enough free space, and run the command again.") from err
    if skipped:
        print(f"Skipped {len(skipped)} mirror-only file(s) that have no public URL: {', '.join(skipped)}")
    if failures:
        raise AssetError(f"{len(failures)} asset(s) could not be mirrored:\n" + "\n".join(failures))
    return dest
