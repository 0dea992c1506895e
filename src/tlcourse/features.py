"""A disk cache for arrays that are slow to compute and cheap to load (bottleneck features, embeddings).

``arrays, info = cached_arrays(name, settings, compute)`` computes once and loads afterwards; ``settings`` holds
everything the arrays depend on, so changed settings never reuse a wrong cache.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from .files import atomic_write

__all__ = ["cached_arrays", "settings_key"]


def settings_key(settings: dict) -> str:
    """A short, stable hash of ``settings`` (JSON with sorted keys)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _load(folder: Path, stem: str, meta_path: Path, settings_json: dict) -> tuple[dict, dict]:
    meta = json.loads(meta_path.read_text())
    if meta.get("settings") != settings_json:
        raise ValueError("settings differ")
    arrays = {k: np.load(folder / f"{stem}.{k}.npy", allow_pickle=False) for k in meta["arrays"]}
    for k, spec in meta["arrays"].items():
        if list(arrays[k].shape) != spec["shape"] or str(arrays[k].dtype) != spec["dtype"]:
            raise ValueError(f"{k} has shape {arrays[k].shape}, expected {spec['shape']}")
    return arrays, meta


def cached_arrays(name: str, settings: dict, compute, folder: str | os.PathLike = "artifacts"):
    """Return ``(arrays, info)``: the dict of NumPy arrays that ``compute()`` returns, computed once and kept in
    ``folder`` as ``<name>-<key>.<array>.npy`` with a JSON sidecar ``<name>-<key>.json``.

    ``key`` is a hash of ``settings`` (everything the arrays depend on: model, weights, image size, data source,
    subset sizes …), so changed settings never reuse a wrong cache; the sidecar repeats the settings and is
    checked too. Every file is written atomically, the sidecar last: a cache without its sidecar is never used.
    ``info`` says whether it was a cache ``hit``, the ``seconds`` this call took, and ``compute_seconds``, how
    long computing took when the cache was made."""
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"cached_arrays(name={name!r}): give a short file-name-safe name, e.g. 'cifar10_resnet50'.")
    if not isinstance(settings, dict):
        raise TypeError(f"cached_arrays(settings=...) must be a dict of what the arrays depend on, got "
                        f"{type(settings).__name__}.")
    if not callable(compute):
        raise TypeError("cached_arrays(compute=...) must be a function that returns a dict of NumPy arrays.")
    folder = Path(folder)
    key = settings_key(settings)
    stem = f"{name}-{key}"
    meta_path = folder / f"{stem}.json"
    settings_json = json.loads(json.dumps(settings, sort_keys=True, default=str))
    t0 = time.perf_counter()
    if meta_path.exists():
        try:
            arrays, meta = _load(folder, stem, meta_path, settings_json)
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as err:
            print(f"Cache {meta_path} is unusable ({err}); computing again.")
        else:
            seconds = time.perf_counter() - t0
            print(f"Cache hit: loaded {', '.join(f'{k} {v.shape}' for k, v in arrays.items())} from {folder}/{stem}.* "
                  f"in {seconds:.2f} s (computing them took {meta['compute_seconds']:.1f} s on {meta['created']}).")
            return arrays, {"hit": True, "seconds": seconds, "compute_seconds": meta["compute_seconds"],
                            "path": str(meta_path)}
    print(f"Cache miss: computing {name} (settings key {key}) …")
    arrays = compute()
    if not isinstance(arrays, dict) or not all(isinstance(v, np.ndarray) for v in arrays.values()):
        raise TypeError("compute() must return a dict of NumPy arrays, e.g. {'train': ..., 'test': ...}.")
    seconds = time.perf_counter() - t0
    folder.mkdir(parents=True, exist_ok=True)
    for k, v in arrays.items():
        with atomic_write(folder / f"{stem}.{k}.npy", "wb") as (f, _):
            np.save(f, v)
    meta = {"name": name, "key": key, "settings": settings_json, "compute_seconds": round(seconds, 3),
            "created": _dt.datetime.now().isoformat(timespec="seconds"),
            "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()}}
    with atomic_write(meta_path, "w") as (f, _):  # written last: a cache without its sidecar is never used
        json.dump(meta, f, indent=2)
    size = sum(v.nbytes for v in arrays.values()) / 2 ** 20
    print(f"Computed in {seconds:.1f} s; saved {size:.1f} MiB to {folder}/{stem}.*")
    return arrays, {"hit": False, "seconds": seconds, "compute_seconds": seconds, "path": str(meta_path)}
