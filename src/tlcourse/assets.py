"""Every remote file the course uses, and one way to get each of them.

``fetch(name)`` returns the path of a verified local copy. It looks, in order:

1. in the cache (``data/`` of the course, or ``$TLCOURSE_DATA``; Keras-managed files in
   Keras's own cache, ``$KERAS_HOME``), accepted only if its checksum matches;
2. in an offline mirror folder, ``$TLCOURSE_MIRROR`` (laid out like ``python -m tlcourse mirror``
   writes it), copied into the cache and verified;
3. on the internet (unless ``TLCOURSE_OFFLINE=1``): downloaded with a progress bar into a temporary
   file, verified, then renamed into place, so a failed download never leaves a partial file behind.

If all three fail, :class:`AssetError` says which URL to download by hand and where to put the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import gzip
import hashlib
import http.client
import json
import os
import shutil
import socket
import ssl
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zipfile
import zlib
from pathlib import Path

__all__ = [
    "Asset", "AssetError", "ASSETS", "get", "fetch", "extract", "cache_dir", "keras_home",
    "is_offline", "mirror_dir", "build_mirror", "file_hash", "locate",
]

_USER_AGENT = "tlcourse/0.1 (+Transfer Learning with TensorFlow course)"


@dataclasses.dataclass(frozen=True)
class Asset:
    """One remote file. ``sha256`` or ``md5`` is the publisher's checksum (None if none is published)."""

    name: str
    url: str | None
    filename: str
    size: int | None
    licence: str
    source: str  # the page that describes the file
    sha256: str | None = None
    md5: str | None = None
    cache: str = "course"  # "course" (data/), "keras/models" or "keras/datasets" (Keras's own cache)
    note: str = ""

    @property
    def mirror_path(self) -> str:
        """Where the file lives inside a mirror folder (same layout as the caches)."""
        if self.cache.startswith("keras/"):
            return f"{self.cache}/{self.filename}"
        return self.filename

    @property
    def checksum(self) -> tuple[str, str] | None:
        if self.sha256:
            return ("sha256", self.sha256)
        if self.md5:
            return ("md5", self.md5)
        return None


class AssetError(RuntimeError):
    """A file could not be obtained or verified. The message says what to do."""


_GCS_KA = "https://storage.googleapis.com/tensorflow/keras-applications"

ASSETS: dict[str, Asset] = {a.name: a for a in [
    Asset(
        name="mnist.npz",
        url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        filename="mnist.npz", size=11_490_434, cache="keras/datasets",
        sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        licence="CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges)",
        source="https://keras.io/api/datasets/mnist/",
        note="Used by keras.datasets.mnist.load_data(); the sha256 is the one Keras itself checks.",
    ),
    Asset(
        name="mnist-test-images",
        url="https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz",
        filename="mnist/t10k-images-idx3-ubyte.gz", size=1_648_877,
        md5="9fb629c4189551a2d022fa330f9573f3",
        licence="CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges)",
        source="http://yann.lecun.com/exdb/mnist/",
        note="Offline stand-in source: the real MNIST test set, split 8,000/2,000 when mnist.npz is missing.",
    ),
    Asset(
        name="mnist-test-labels",
        url="https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz",
        filename="mnist/t10k-labels-idx1-ubyte.gz", size=4_542,
        md5="ec29112dd5afa0611ce80d1b7f02629c",
        licence="CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges)",
        source="http://yann.lecun.com/exdb/mnist/",
    ),
    Asset(
        name="cats_and_dogs_filtered.zip",
        url="https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",
        filename="cats_and_dogs_filtered.zip", size=68_606_236, cache="keras/datasets",
        licence="Kaggle 'Dogs vs. Cats' (Asirra, Microsoft Research): research and education use",
        source="https://www.tensorflow.org/tutorials/images/transfer_learning",
        note="Google publishes no checksum: the first download's sha256 is recorded and later copies are checked "
             "against it.",
    ),
    Asset(
        name="mobilenet_v2_1.0_160_no_top",
        url=f"{_GCS_KA}/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5",
        filename="mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5", size=9_406_464,
        cache="keras/models", licence="Apache 2.0 (Keras Applications)",
        source="https://keras.io/api/applications/mobilenet/",
        note="keras.applications.MobileNetV2 passes no file hash; the first download's sha256 is recorded.",
    ),
    Asset(
        name="mobilenet_0.25_224_no_top",
        url=f"{_GCS_KA}/mobilenet/mobilenet_2_5_224_tf_no_top.h5",
        filename="mobilenet_2_5_224_tf_no_top.h5", size=2_108_140,
        cache="keras/models", licence="Apache 2.0 (Keras Applications)",
        source="https://keras.io/api/applications/mobilenet/",
        note="keras.applications.MobileNet passes no file hash; the first download's sha256 is recorded.",
    ),
    Asset(
        name="resnet50_no_top",
        url=f"{_GCS_KA}/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        filename="resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", size=94_765_736,
        md5="4d473c1dd8becc155b73f8504c6f6626", cache="keras/models",
        licence="MIT (Kaiming He's ResNet weights, Keras Applications)",
        source="https://keras.io/api/applications/resnet/",
    ),
    Asset(
        name="densenet121_no_top",
        url=f"{_GCS_KA}/densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        filename="densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5", size=29_084_464,
        md5="30ee3e1110167f948a6b9946edeeb738", cache="keras/models",
        licence="BSD-3-Clause (DenseNet authors, Keras Applications)",
        source="https://keras.io/api/applications/densenet/",
    ),
    Asset(
        name="efficientnetb0_no_top",
        url="https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5",
        filename="efficientnetb0_notop.h5", size=16_705_208,
        md5="50bc09e76180e00e4465e1a485ddc09d", cache="keras/models",
        licence="Apache 2.0 (Keras Applications)",
        source="https://keras.io/api/applications/efficientnet/",
    ),
    Asset(
        name="emnist.zip",
        url="https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip",
        filename="emnist/gzip.zip", size=561_753_746,
        md5="58c8d27c78d21e728a6bc7b3cc06412e",
        licence="NIST (public domain in the US; cite Cohen et al. 2017, EMNIST)",
        source="https://www.nist.gov/itl/products-and-services/emnist-dataset",
        note="All EMNIST splits as gzipped IDX files plus their mappings; read with the `emnist` package "
             "(emnist.CACHE_FILE_PATH points at this file). NIST publishes no checksum: the md5 is the reference "
             "torchvision's EMNIST loader checks (same URL).",
    ),
    Asset(
        name="emnist-balanced-mapping",
        url=None,
        filename="emnist/emnist-balanced-mapping.txt", size=328,
        licence="NIST (public domain in the US; cite Cohen et al. 2017, EMNIST)",
        source="https://www.nist.gov/itl/products-and-services/emnist-dataset",
        note="Mirror-only copy of gzip/emnist-balanced-mapping.txt (label -> character code), for offline use "
             "when emnist.zip is missing; online it is read from inside emnist.zip.",
    ),
    *[Asset(
        name=f"fashion-mnist-{part}",
        url=f"https://storage.googleapis.com/tensorflow/tf-keras-datasets/{part}-idx{dim}-ubyte.gz",
        filename=f"fashion-mnist/{part}-idx{dim}-ubyte.gz", size=size, md5=md5, cache="keras/datasets",
        licence="MIT (Zalando SE)",
        source="https://github.com/zalandoresearch/fashion-mnist",
        note="" if part != "train-images" else (
            "The four fashion-mnist-* files are what keras.datasets.fashion_mnist.load_data() reads; md5s as "
            "published by Zalando Research. Offline, Debian's dataset-fashion-mnist package "
            "(/usr/share/datasets/fashion-mnist) holds the same images."),
    ) for part, dim, size, md5 in [
        ("train-images", 3, 26_421_880, "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels", 1, 29_515, "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images", 3, 4_422_102, "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels", 1, 5_148, "bb300cfdad3c16e7a12a480ee83cd310"),
    ]],
    Asset(
        name="cifar-10-python.tar.gz",
        url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        filename="cifar-10-batches-py-target_archive", size=170_498_071,
        sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce", cache="keras/datasets",
        licence="CIFAR-10 (A. Krizhevsky, 2009): free to use, cite the tech report",
        source="https://www.cs.toronto.edu/~kriz/cifar.html",
        note="Used by keras.datasets.cifar10.load_data(), which stores the archive under this name; the sha256 "
             "is the one Keras checks.",
    ),
    Asset(
        name="cifar10-test-jpeg",
        url=None,
        filename="cifar10/cifar10_test_jpeg.npz", size=28_435_524,
        licence="CIFAR-10 (A. Krizhevsky, 2009): free to use, cite the tech report",
        source="https://www.cs.toronto.edu/~kriz/cifar.html",
        note="Mirror-only: the 10,000 CIFAR-10 test images as JPEG-decoded pixels (x_test uint8 32x32x3, y_test, "
             "class_names), the offline stand-in source when cifar-10-python.tar.gz is missing.",
    ),
    # Lesson 6 (temporary entries of the lesson6 branch; the integrator reconciles them with the registry).
    Asset(
        name="food-10-percent",
        url="https://storage.googleapis.com/ztm_tf_course/food_vision/10_food_classes_10_percent.zip",
        filename="10_food_classes_10_percent.zip", size=168_546_183,
        licence="Food-101 (Bossard, Guillaumin, Van Gool, ECCV 2014): images from foodspotting.com, research use; "
                "10-class 10% subset by the Zero to Mastery TensorFlow course",
        source="https://github.com/mrdbourke/tensorflow-deep-learning",
        note="10 food classes of Food-101, 75 training and 250 test images per class (train/<class>/*.jpg, "
             "test/<class>/*.jpg). No checksum is published: the first copy's sha256 is recorded.",
    ),
    Asset(
        name="efficientnetb0",
        url="https://storage.googleapis.com/keras-applications/efficientnetb0.h5",
        filename="efficientnetb0.h5", size=None,
        md5="902e53a9f72be733fc0bcb005b3ebbac", cache="keras/models",
        licence="Apache 2.0 (Keras Applications)",
        source="https://keras.io/api/applications/efficientnet/",
        note="EfficientNetB0 with its ImageNet classifier (include_top=True), for 'as is' transfer in lesson 6; the "
             "md5 is the one keras.applications checks.",
    ),
    Asset(
        name="imagenet_class_index",
        url="https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
        filename="imagenet_class_index.json", size=None,
        md5="c2c37ea517e94d9795004a39431a14cb", cache="keras/models",
        licence="ImageNet class names (Apache 2.0, Keras Applications)",
        source="https://keras.io/api/applications/",
        note="The 1,000 ImageNet class names read by keras.applications.*.decode_predictions; the md5 is the one "
             "Keras checks.",
    ),
]}


# --------------------------------------------------------------------------- locations

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
    import sys
    if "keras" in sys.modules:
        with contextlib.suppress(Exception):
            from keras.src.backend import config
            return Path(config.keras_home())
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()


def get(name: str) -> Asset:
    """The registry entry for ``name``; unknown names raise a KeyError that lists the known ones."""
    if not isinstance(name, str) or name not in ASSETS:
        known = ", ".join(sorted(ASSETS))
        raise KeyError(f"Unknown asset {name!r}. Known assets: {known}. "
                       "Add new files to tlcourse.assets.ASSETS with their URL and checksum.")
    return ASSETS[name]


def locate(asset: Asset) -> Path:
    """Where the verified copy of ``asset`` lives once fetched."""
    if asset.cache.startswith("keras/"):
        return keras_home() / asset.cache.split("/", 1)[1] / asset.filename
    return cache_dir() / asset.filename


# --------------------------------------------------------------------------- hashing

def file_hash(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _recorded_path(target: Path) -> Path:
    return target.parent / ".tlcourse-hashes" / f"{target.name}.sha256"


def _recorded_hash(target: Path) -> str | None:
    p = _recorded_path(target)
    return p.read_text().split()[0] if p.exists() else None


def _record_hash(target: Path, digest: str, origin: str) -> None:
    p = _recorded_path(target)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(f".tmp{os.getpid()}")
    try:
        tmp.write_text(f"{digest}  {target.name}  (first obtained from {origin})\n")
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _mirror_listed_hash(mirror: Path, rel: str) -> str | None:
    sums = mirror / "SHA256SUMS"
    if not sums.exists():
        return None
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].lstrip("*") == rel:
            return parts[0]
    return None


def _format_problem(path: Path, filename: str) -> str | None:
    """A cheap check that a file is what its name says (zip, HDF5, gzip), for files without a published
    checksum: it catches a truncated archive or an HTML error page saved under the file's name."""
    name = filename.lower()
    try:
        with open(path, "rb") as f:
            head = f.read(16)
        if name.endswith((".zip", ".npz", ".keras")):
            if not zipfile.is_zipfile(path):
                return f"not a complete zip archive (starts with {head[:8]!r}; truncated download?)"
        elif name.endswith((".h5", ".hdf5")):
            if not head.startswith(b"\x89HDF\r\n\x1a\n"):
                return f"not an HDF5 file (starts with {head[:8]!r}; an error page saved under its name?)"
        elif name.endswith((".gz", ".tgz")):
            if not head.startswith(b"\x1f\x8b"):
                return f"not a gzip file (starts with {head[:8]!r}; an error page saved under its name?)"
    except OSError as err:
        return f"unreadable ({err})"
    return None


def _verify(asset: Asset, path: Path, expected_sha256: str | None = None) -> tuple[bool, str]:
    """Check ``path`` against the publisher's checksum, else against a hash we were told
    (recorded first download, or the mirror's SHA256SUMS), else that it is a well-formed file of its
    kind (zip, HDF5, gzip). Returns (ok, description)."""
    if asset.size is not None and asset.checksum and path.stat().st_size != asset.size:
        return False, f"size {path.stat().st_size:,} bytes, expected {asset.size:,}"
    if asset.checksum:
        algo, want = asset.checksum
        got = file_hash(path, algo)
        return (got == want), f"{algo} {got}, expected {want}"
    if expected_sha256:
        got = file_hash(path)
        return (got == expected_sha256), f"sha256 {got}, expected {expected_sha256}"
    problem = _format_problem(path, asset.filename)
    if problem:
        return False, problem
    return True, "no published checksum"


# --------------------------------------------------------------------------- fetching

@contextlib.contextmanager
def _lock(target: Path, doing: str = "fetching"):
    """An exclusive lock per target file, so two processes fetching one asset take turns.

    Yields True when the lock is held. Yields False without locking where no lock file can be made
    (Windows, or a read-only cache folder: a verified copy can still be read from it, and any write is
    refused later with a clear message); the atomic rename still protects the cache then."""
    try:
        import fcntl
    except ImportError:  # Windows: rely on the atomic rename alone
        yield False
        return
    lock_path = target.parent / f".{target.name}.lock"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fh = open(lock_path, "a+")
    except OSError:
        yield False
        return
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"Waiting for another process that is {doing} {target.name} ...", flush=True)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _remove_stale_parts(target: Path) -> None:
    """Delete temporary ``.part`` files of ``target`` left by a process that was killed mid-download.
    Called only while holding the lock, so no live fetch of ours is writing them."""
    with contextlib.suppress(OSError):
        for part in target.parent.glob(f".{target.name}.*.part"):
            with contextlib.suppress(OSError):
                part.unlink()


_DISK_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR,
                errno.EEXIST, errno.EISDIR} | ({errno.EDQUOT} if hasattr(errno, "EDQUOT") else set())


def _is_disk_error(err: BaseException) -> bool:
    """An error of the local file system (full, read-only, not a folder), not of the network."""
    return (isinstance(err, OSError) and not isinstance(err, urllib.error.URLError)
            and err.errno in _DISK_ERRNOS)


def _disk_error(asset_name: str, target: Path, err: OSError) -> AssetError:
    if err.errno in (errno.ENOSPC, errno.EFBIG) or err.errno == getattr(errno, "EDQUOT", -1):
        what = (f"the disk is full or a file-size limit was hit while writing into {target.parent} "
                f"({os.strerror(err.errno)})")
        todo = ("free some disk space, or set TLCOURSE_DATA (course files) or KERAS_HOME (Keras files, before "
                "importing Keras) to a folder on a disk with enough free space")
    else:
        what = f"the cache folder {target.parent} cannot be written ({err.strerror or err})"
        todo = ("set TLCOURSE_DATA (course files) or KERAS_HOME (Keras files, before importing Keras) to a "
                "folder you can write to")
    size = ASSETS[asset_name].size if asset_name in ASSETS else None
    need = f" The file needs {size / 1e6:,.1f} MB." if size else ""
    return AssetError(f"Could not save {asset_name!r}: {what}. Nothing partial was left behind.{need}\n"
                      f"  expected path: {target}\n"
                      f"What to do: {todo}, then run the cell again.")


def _by_hand(asset: Asset, target: Path, reason: str) -> AssetError:
    url = asset.url or "(no public URL: this file comes only from an offline mirror)"
    return AssetError(
        f"Could not get {asset.name!r}: {reason}\n"
        f"  URL:           {url}\n"
        f"  expected path: {target}\n"
        f"What to do: check your connection and run the cell again; or download the URL in a browser and save "
        f"it at the expected path (the course verifies it); or point TLCOURSE_MIRROR at a folder made with "
        f"`python -m tlcourse mirror DIR` on a machine with internet. Without internet, set TLCOURSE_OFFLINE=1: "
        f"the lessons then use the cache and the mirror, and announced stand-ins for what is missing."
    )


def _check_writable(target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".write-test-"):
            pass
    except OSError as err:
        raise AssetError(
            f"The cache folder {target.parent} is not writable ({err.strerror or err}).\n"
            f"  expected path: {target}\n"
            f"What to do: set TLCOURSE_DATA (course files) or KERAS_HOME (Keras files, before importing Keras) "
            f"to a folder you can write to, with enough free space."
        ) from err


@contextlib.contextmanager
def _part_file(target: Path):
    """Yield ``(file, path)`` of a temporary ``.part`` file next to ``target``. When the block finishes, the file
    is flushed to disk and renamed onto ``target`` in one step; if the block raises, it is deleted. So ``target``
    is either the old file or the complete new one, never a partial write."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out, Path(tmp)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _copy_atomic(src: Path, target: Path) -> None:
    with _part_file(target) as (out, _), open(src, "rb") as inp:
        shutil.copyfileobj(inp, out, 1 << 20)


def _timeout() -> float:
    return float(os.environ.get("TLCOURSE_TIMEOUT", "60"))


class _VerificationFailed(Exception):
    """A download arrived whole but is not the expected file (checksum, size or format)."""


def _download(asset: Asset, target: Path, progress: bool) -> None:
    """Download ``asset.url`` to a temporary file next to ``target``, verify it, and only then rename it
    into place: the cache never holds a partial or unverified download, even if the process is killed."""
    from tqdm.auto import tqdm

    req = urllib.request.Request(asset.url, headers={"User-Agent": _USER_AGENT})
    with _part_file(target) as (out, tmp):
        with urllib.request.urlopen(req, timeout=_timeout()) as resp:
            total = resp.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else asset.size
            done = 0
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=asset.filename.rsplit("/", 1)[-1], disable=not progress) as bar:
                while True:
                    block = resp.read(1 << 16)
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    bar.update(len(block))
            length = resp.headers.get("Content-Length")
            if length and length.isdigit() and done != int(length):
                raise http.client.IncompleteRead(b"", int(length) - done)
        out.flush()  # so that _verify reads every byte written
        if asset.size is not None and not asset.checksum and done < asset.size:  # no checksum: guard truncation
            raise _VerificationFailed(f"size {done:,} bytes, the registry says {asset.size:,} (a truncated "
                                      "download, or the publisher changed the file: then update the registry)")
        if asset.size is not None and not asset.checksum and done > asset.size:
            warnings.warn(f"{asset.name}: {done:,} bytes, the registry says {asset.size:,}; the publisher may have "
                          "updated the file (its sha256 is recorded below).", stacklevel=4)
        ok, why = _verify(asset, tmp, None)
        if not ok:
            raise _VerificationFailed(why)


def _describe_network_error(err: BaseException) -> str:
    if isinstance(err, urllib.error.HTTPError):
        if err.code in (301, 302, 303, 307, 308):
            return f"too many redirects (HTTP {err.code}, a redirect loop?)"
        return f"the server answered HTTP {err.code} {err.reason}"
    reason = getattr(err, "reason", err)
    if isinstance(reason, socket.gaierror):
        return "the host name could not be resolved (no internet connection, or a DNS problem)"
    if isinstance(reason, ConnectionRefusedError):
        return "the server refused the connection (is it down, or is a firewall blocking it?)"
    if isinstance(reason, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(reason):
        return ("SSL certificate verify failed. Your Python does not trust the server's certificate "
                "(common on macOS python.org installs: run 'Install Certificates.command'; elsewhere "
                "`pip install --upgrade certifi` and `export SSL_CERT_FILE=\"$(python -m certifi)\"`, or ask your "
                "network admin about a proxy certificate)")
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"the server did not answer within {_timeout():.0f} s (set TLCOURSE_TIMEOUT to wait longer)"
    if isinstance(err, http.client.IncompleteRead):
        return "the connection closed before the whole file arrived (truncated download)"
    if isinstance(err, (ConnectionError, http.client.HTTPException)):
        return f"the connection failed mid-download ({type(err).__name__})"
    return f"{type(err).__name__}: {reason}"


def fetch(name: str, *, progress: bool = True, retries: int = 1) -> Path:
    """Return the path of a verified local copy of asset ``name`` (see the module docstring)."""
    asset = get(name)
    target = locate(asset)
    try:
        return _fetch_locked(asset, target, progress, retries)
    except AssetError:
        raise
    except OSError as err:
        if _is_disk_error(err):
            raise _disk_error(asset.name, target, err) from err
        raise


def _fetch_locked(asset: Asset, target: Path, progress: bool, retries: int) -> Path:
    with _lock(target) as locked:
        # 1. cache
        if target.is_file():
            ok, why = _verify(asset, target, _recorded_hash(target))
            if ok:
                return target
            warnings.warn(f"Cached {target} failed verification ({why}); fetching it again.", stacklevel=3)
            _check_writable(target)
            target.unlink()
        _check_writable(target)
        if locked:
            _remove_stale_parts(target)

        # 2. mirror
        mirror = mirror_dir()
        if mirror is not None:
            src = mirror / asset.mirror_path
            if src.is_file():
                listed = _mirror_listed_hash(mirror, asset.mirror_path)
                ok, why = _verify(asset, src, listed)
                if not ok:
                    raise AssetError(f"The mirror copy {src} of {asset.name!r} failed verification ({why}). "
                                     "Replace it with a good copy (rebuild the mirror with "
                                     "`python -m tlcourse mirror DIR`) or unset TLCOURSE_MIRROR.")
                _copy_atomic(src, target)
                if not asset.checksum:
                    digest = listed or file_hash(target)
                    _record_hash(target, digest, f"mirror {src}")
                    if not listed:
                        warnings.warn(f"{asset.name}: no published checksum and the mirror lists none; "
                                      f"recorded sha256 {digest} for later checks.", stacklevel=3)
                return target

        # 3. download
        if is_offline():
            where = f"the mirror {mirror}" if mirror else "no mirror (TLCOURSE_MIRROR is not set)"
            raise _by_hand(asset, target, f"offline (TLCOURSE_OFFLINE=1) and not in the cache or {where}.")
        if not asset.url:
            raise _by_hand(asset, target, "it is only available from an offline mirror.")
        last: BaseException | None = None
        for attempt in range(retries + 1):
            try:
                _download(asset, target, progress)
            except _VerificationFailed as err:
                raise _by_hand(asset, target, f"the downloaded file failed verification ({err}); it was deleted. "
                                              "A proxy or captive portal may have altered it.") from None
            except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as err:
                if _is_disk_error(err):
                    raise _disk_error(asset.name, target, err) from err
                last = err
                if isinstance(err, urllib.error.HTTPError) and err.code < 500:
                    break  # 4xx will not fix itself
                if attempt < retries:
                    time.sleep(min(2 ** attempt, 5))
                continue
            if not asset.checksum:
                digest = file_hash(target)
                _record_hash(target, digest, asset.url)
                warnings.warn(f"{asset.name}: the publisher gives no checksum; recorded sha256 {digest} "
                              f"for later checks.", stacklevel=3)
            return target
        raise _by_hand(asset, target, _describe_network_error(last)) from last


# --------------------------------------------------------------------------- archives

def _safe_members_zip(zf: zipfile.ZipFile, dest: Path) -> None:
    root = dest.resolve()
    for info in zf.infolist():
        name = info.filename
        resolved = (root / name).resolve()
        if name.startswith(("/", "\\")) or ".." in Path(name).parts or not resolved.is_relative_to(root):
            raise AssetError(f"Refusing to extract {zf.filename}: the entry {name!r} would be written outside "
                             f"{dest}. The archive is damaged or malicious; delete it and download it again.")
        mode = (info.external_attr >> 16) & 0o170000
        if mode == 0o120000:
            raise AssetError(f"Refusing to extract {zf.filename}: the entry {name!r} is a symbolic link.")


def _archive_stamp(archive: Path) -> dict:
    st = archive.stat()
    return {"archive": archive.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _extracted_from(dest: Path, archive: Path) -> bool:
    """True when ``dest`` holds a complete extraction of this very archive (same name, size and time)."""
    try:
        stamp = json.loads((dest / ".complete").read_text())
    except (OSError, ValueError):
        return False
    return stamp == _archive_stamp(archive)


def _safe_members_tar(tf: tarfile.TarFile, archive: Path, dest: Path) -> None:
    for member in tf.getmembers():
        name = member.name
        if name.startswith(("/", "\\")) or ".." in Path(name).parts:
            raise AssetError(f"Refusing to extract {archive}: the entry {name!r} would be written outside "
                             f"{dest}. The archive is damaged or malicious; delete it and download it again.")


def extract(archive: str | os.PathLike, dest: str | os.PathLike | None = None) -> Path:
    """Extract a zip or tar archive safely into ``dest`` (default: ``<archive>_extracted/`` next to it,
    the name Keras 3's ``get_file(extract=True)`` uses). Entries that would escape ``dest`` are refused,
    a truncated archive is detected, and a half-finished extraction is never left in place. A complete
    extraction of the same archive is reused; a new copy of the archive is extracted again."""
    archive = Path(archive)
    if not archive.is_file():
        raise AssetError(f"{archive} does not exist (or is not a file). Fetch it first with "
                         "tlcourse.assets.fetch(name), which returns the path to pass here.")
    dest = Path(dest) if dest is not None else archive.with_name(archive.name.split(".")[0] + "_extracted")
    if _extracted_from(dest, archive):
        return dest
    try:
        with _lock(dest, "extracting") as locked:
            return _extract_locked(archive, dest, locked)
    except AssetError:
        raise
    except OSError as err:
        if _is_disk_error(err):
            raise AssetError(f"Could not extract {archive} into {dest}: {os.strerror(err.errno)}. Nothing "
                             "partial was left behind.\nWhat to do: free some disk space or choose a folder "
                             "you can write to (TLCOURSE_DATA / KERAS_HOME), then run the cell again.") from err
        raise


def _extract_locked(archive: Path, dest: Path, locked: bool) -> Path:
    if _extracted_from(dest, archive):  # another process finished it while we waited for the lock
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    for stale in dest.parent.glob(f".{dest.name}.*") if locked else ():  # left by a killed extraction
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        if zipfile.is_zipfile(archive):
            try:
                with zipfile.ZipFile(archive) as zf:
                    _safe_members_zip(zf, tmp)
                    bad = zf.testzip()
                    if bad is not None:
                        raise AssetError(f"{archive} is corrupt (bad CRC in {bad!r}); delete it and fetch it again.")
                    zf.extractall(tmp)
            except (zipfile.BadZipFile, EOFError, zlib.error) as err:
                raise AssetError(f"{archive} is truncated or corrupt ({err}); delete it and fetch it again.") from err
        elif tarfile.is_tarfile(archive):
            try:
                with tarfile.open(archive) as tf:
                    _safe_members_tar(tf, archive, dest)
                    tf.extractall(tmp, filter="data")  # refuses .., absolute paths, links out, devices
            except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as err:
                raise AssetError(f"Refusing or failing to extract {archive} ({err}); delete it and fetch it "
                                 "again.") from err
        else:
            raise AssetError(f"{archive} is not a zip or tar archive (truncated download?). Delete it and fetch "
                             "it again.")
        (tmp / ".complete").write_text(json.dumps(_archive_stamp(archive)))
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


# --------------------------------------------------------------------------- classroom mirror

def build_mirror(dest: str | os.PathLike, names: list[str] | None = None, *, progress: bool = True) -> Path:
    """Fetch every asset (or ``names``) into ``dest`` with the mirror layout and write ``SHA256SUMS``.
    Point ``TLCOURSE_MIRROR`` at ``dest`` on machines without internet."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    lines, failures, skipped = [], [], []
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
            _copy_atomic(path, out)
        lines.append(f"{file_hash(out)}  {asset.mirror_path}")
    (dest / "SHA256SUMS").write_text("\n".join(sorted(lines, key=lambda l: l.split()[1])) + "\n")
    if skipped:
        print(f"Skipped {len(skipped)} mirror-only file(s) that have no public URL: {', '.join(skipped)}")
    if failures:
        raise AssetError(f"{len(failures)} asset(s) could not be mirrored:\n" + "\n".join(failures))
    return dest
