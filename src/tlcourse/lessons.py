"""The lesson manifest: every fact about each lesson, written once, in ``lessons.yml`` (next to this file).

    from tlcourse import lessons
    lessons.load()                          # every lesson, in number order
    lessons.get("05_mobilenetv2_cats_dogs")  # one of them

One entry per lesson: its name and number, title and short title, teaching and exercise minutes, the files it needs
(registry names, with their offline stand-ins), the anchors' published figures it is compared with (each with the
exact sentence quoted and where it is), the backbones and input pipeline ``make bench`` measures it with, and its
measured run times. Every other place that shows these facts is derived from this file: the pre-flight
(``tlcourse.preflight.LESSON_FILES``), the results page's anchors, ``tools/bench.py``, and README.md's lessons table,
book/intro.md's schedule, _toc.yml and each lesson's header, which ``python tools/course.py sync`` rewrites
(``check`` lists the stale ones).

A malformed entry is a :class:`ManifestError` that names the lesson, the field and what is expected.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from importlib import resources
from pathlib import Path

import yaml

from .registry import ASSETS

__all__ = ["Need", "Anchor", "Backbone", "Timing", "Lesson", "ManifestError", "PATH", "load", "get", "dump"]

PATH = Path(str(resources.files(__package__) / "lessons.yml"))
NAME_RE = re.compile(r"(?P<num>\d{2})_[a-z0-9]+(?:_[a-z0-9]+)*")
SEED_RE = re.compile(r"\d{3}_[0-9a-f]+\.txt")   # a file of ../shared/seeds, the texts the course was designed from
PROFILES = ("quick", "full")


class ManifestError(ValueError):
    """A malformed lesson manifest; the message names the entry and the field, and says what is expected."""


@dataclasses.dataclass(frozen=True)
class Need:
    """One file a lesson needs (a registry name). ``standin``: what the lesson uses instead when it is missing
    offline (None: nothing, the lesson cannot run without it); ``standin_needs``: registry names the stand-in
    itself reads; ``local``: a folder that holds the same real data offline (e.g. a Debian package); ``note``:
    why, for the maintainers (e.g. why a file has no stand-in)."""

    asset: str
    standin: str | None = None
    standin_needs: tuple[str, ...] = ()
    local: str | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Anchor:
    """A published figure the lesson's full run is compared with. ``quote``: the exact sentence (or log line) of
    ``source`` that gives it; ``source``: a seed file name (``002_....txt``) or a URL; ``title``: how the book names
    the source; ``place``: where in it; ``url``: the published page of a seed's text, if it has one."""

    label: str
    value: float
    quote: str
    source: str
    title: str
    place: str
    url: str | None = None

    @property
    def seed(self) -> bool:
        return not self.source.startswith(("http://", "https://"))

    @property
    def citation(self) -> str:
        """The source as the book shows it: title, where, and the sentence quoted."""
        where = f"{self.title} ({self.source})" if not self.seed else self.title
        if self.seed and self.url:
            where += f" ({self.url})"
        return f"{where}, {self.place}: “{self.quote}”"


@dataclasses.dataclass(frozen=True)
class Backbone:
    """A backbone ``make bench`` measures at the lesson's resolution, fed as the lesson feeds it. An entry with only
    ``key`` is the backbone of that key declared in full by another lesson."""

    key: str
    app: str | None = None          # keras.applications constructor
    size: int | None = None         # the lesson's resolution
    data: str | None = None         # "cifar10" (32×32), "dollar_street" (64×64), "cats_dogs" (JPEG folders or arrays)
    pipeline: str | None = None     # "in_model", "map" or "folder_cached" (tools/bench.py, PIPELINES)
    preprocess: str | None = None   # keras.applications module whose preprocess_input the lesson uses
    kwargs: dict = dataclasses.field(default_factory=dict)
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Timing:
    """A measured run time of the whole lesson: ``make bench`` (quick) or ``make test-full`` (full)."""

    minutes: float
    device: str                     # as tlcourse.runtime.describe_device writes it, e.g. "CPU, 2 cores"
    date: str                       # ISO date of the measurement
    standins: bool | None = None    # offline stand-ins used (None: not recorded)


@dataclasses.dataclass(frozen=True)
class Lesson:
    name: str                       # notebooks/<name>.ipynb
    number: int
    title: str                      # README.md's table and book/intro.md's schedule
    short_title: str                # the lesson's own heading: "# Lesson N: <short title>"
    teaching: int                   # minutes
    exercises: int                  # minutes
    files: tuple[Need, ...] = ()
    anchors: tuple[Anchor, ...] = ()
    pipeline: tuple[str, ...] = ()  # regexes: the lesson's input pipeline as tools/bench.py rebuilds it, in order
    backbones: tuple[Backbone, ...] = ()
    measured: dict[str, Timing] = dataclasses.field(default_factory=dict)   # "quick"/"full" -> Timing


# --------------------------------------------------------------------------- reading

def _mapping(raw, where: str, cls) -> dict:
    """``raw`` checked to be a mapping with every required field of ``cls`` and no other key."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: expected a mapping with the keys {', '.join(fields)}, got {raw!r}.")
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ManifestError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; the keys are "
                            f"{', '.join(fields)}.")
    missing = [name for name, f in fields.items() if name not in raw
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ManifestError(f"{where}: missing {', '.join(map(repr, missing))}.")
    return dict(raw)


def _check(value, kinds, where: str, what: str):
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise ManifestError(f"{where}: {what}, got {value!r}.")
    return value


def _need(raw, where: str) -> Need:
    d = _mapping(raw, where, Need)
    for name in (d["asset"], *d.get("standin_needs", ())):
        if name not in ASSETS:
            raise ManifestError(f"{where}: {name!r} is not a registry name (src/tlcourse/registry.py); add the file "
                                "there first, or correct the name.")
    _check(d.get("standin"), (str, type(None)), where, "'standin' must be a sentence (or absent)")
    _check(d.get("local"), (str, type(None)), where, "'local' must be a folder (or absent)")
    _check(d.get("note", ""), str, where, "'note' must be a sentence")
    d["standin_needs"] = tuple(_check(d.get("standin_needs", []), list, where, "'standin_needs' must be a list"))
    return Need(**d)


def _anchor(raw, where: str) -> Anchor:
    d = _mapping(raw, where, Anchor)
    for key in ("label", "quote", "source", "title", "place"):
        if not isinstance(d[key], str) or not d[key].strip():
            raise ManifestError(f"{where}: {key!r} must be a non-empty string, got {d[key]!r}.")
    value = _check(d["value"], (int, float), where, "'value' must be a fraction between 0 and 1 (0.96 for 96%)")
    if not 0 <= value <= 1:
        raise ManifestError(f"{where}: 'value' must be a fraction between 0 and 1 (0.96 for 96%), got {value!r}.")
    if not (d["source"].startswith(("http://", "https://")) or SEED_RE.fullmatch(d["source"])):
        raise ManifestError(f"{where}: 'source' must be a seed file name like 002_d8a33cc0f52ffd52.txt or a URL, got "
                            f"{d['source']!r}.")
    return Anchor(**{**d, "value": float(value)})


def _backbone(raw, where: str) -> Backbone:
    d = _mapping(raw, where, Backbone)
    _check(d["key"], str, where, "'key' must be a name like MobileNetV2")
    given = [k for k in ("app", "size", "data", "pipeline", "preprocess") if d.get(k) is not None]
    if given and len(given) < 5:
        raise ManifestError(f"{where}: backbone {d['key']!r} gives {', '.join(given)} but not all of app, size, data, "
                            "pipeline, preprocess (give them all, or only 'key' to use another lesson's).")
    if given:
        _check(d["size"], int, where, "'size' must be the resolution in pixels")
    _check(d.get("kwargs", {}), dict, where, "'kwargs' must be a mapping")
    return Backbone(**d)


def _timing(raw, where: str) -> Timing:
    d = _mapping(raw, where, Timing)
    _check(d["minutes"], (int, float), where, "'minutes' must be a number")
    _check(d["device"], str, where, "'device' must be like 'CPU, 2 cores'")
    if isinstance(d["date"], _dt.date):
        d["date"] = d["date"].isoformat()
    _check(d.get("standins"), (bool, type(None)), where, "'standins' must be true, false or null")
    return Timing(**{**d, "minutes": float(d["minutes"]), "date": str(d["date"])})


def _lesson(raw, where: str) -> Lesson:
    d = _mapping(raw, where, Lesson)
    name = _check(d["name"], str, where, "'name' must be like 01_save_load_resume")
    if not NAME_RE.fullmatch(name):
        raise ManifestError(f"{where}: 'name' {name!r} must be two digits, an underscore and a topic in lower case "
                            "with underscores, like 01_save_load_resume.")
    where = f"{where} ({name})"
    if _check(d["number"], int, where, "'number' must be a whole number") != int(name[:2]):
        raise ManifestError(f"{where}: 'number' is {d['number']} but the name starts with {name[:2]}.")
    for key in ("title", "short_title"):
        if not isinstance(d[key], str) or not d[key].strip():
            raise ManifestError(f"{where}: {key!r} must be a non-empty string, got {d[key]!r}.")
    for key in ("teaching", "exercises"):
        _check(d[key], int, where, f"{key!r} must be a whole number of minutes (35, not '35 min')")

    def items(key, parse):
        raw_items = _check(d.get(key, []), list, where, f"{key!r} must be a list")
        return tuple(parse(item, f"{where}, {key}[{i}]") for i, item in enumerate(raw_items))

    d["files"] = items("files", _need)
    d["anchors"] = items("anchors", _anchor)
    d["backbones"] = items("backbones", _backbone)
    d["pipeline"] = tuple(_check(step, str, f"{where}, pipeline", "each step must be a regex string")
                          for step in _check(d.get("pipeline", []), list, where, "'pipeline' must be a list"))
    measured = _check(d.get("measured", {}), dict, where, "'measured' must be a mapping quick/full -> time")
    bad = sorted(set(measured) - set(PROFILES))
    if bad:
        raise ManifestError(f"{where}, measured: unknown profile(s) {', '.join(bad)}; use {' or '.join(PROFILES)}.")
    d["measured"] = {p: _timing(measured[p], f"{where}, measured.{p}") for p in PROFILES if p in measured}
    return Lesson(**d)


def parse(data, where: str = "lessons.yml") -> list[Lesson]:
    """The lessons of a manifest already read from YAML (``{"lessons": [...]}``), checked, in number order."""
    if not isinstance(data, dict) or not isinstance(data.get("lessons"), list):
        raise ManifestError(f"{where}: expected a top-level key 'lessons' holding a list of lesson entries.")
    out = [_lesson(raw, f"{where}, lesson entry {i + 1}") for i, raw in enumerate(data["lessons"])]
    for attr in ("name", "number"):
        seen: dict = {}
        for lesson in out:
            if getattr(lesson, attr) in seen:
                raise ManifestError(f"{where}: {seen[getattr(lesson, attr)]} and {lesson.name} have the same {attr}.")
            seen[getattr(lesson, attr)] = lesson.name
    declared: dict[str, str] = {}
    for lesson in out:
        for b in lesson.backbones:
            if b.app and declared.setdefault(b.key, lesson.name) != lesson.name:
                raise ManifestError(f"{where}: backbone {b.key!r} is declared in full by both {declared[b.key]} and "
                                    f"{lesson.name}; give only its key in one of them.")
    for lesson in out:
        for b in lesson.backbones:
            if b.key not in declared:
                raise ManifestError(f"{where}, {lesson.name}: backbone {b.key!r} is not declared in full by any "
                                    "lesson (app, size, data, pipeline, preprocess).")
    return sorted(out, key=lambda lesson: lesson.number)


def load(path: Path | str | None = None) -> list[Lesson]:
    """Every lesson of the manifest (default: the package's ``lessons.yml``), in number order."""
    path = Path(path) if path else PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ManifestError(f"{path} is not valid YAML: {err}") from None
    return parse(data, str(path))


def get(name: str, path: Path | str | None = None) -> Lesson:
    """The lesson ``name`` (e.g. ``"01_save_load_resume"``)."""
    found = {lesson.name: lesson for lesson in load(path)}
    if name not in found:
        raise KeyError(f"No lesson {name!r} in the manifest; known: {', '.join(found)}.")
    return found[name]


# --------------------------------------------------------------------------- writing (tools/course.py, new_lesson.py)

HEADER = """\
# The lesson manifest: every fact about each lesson, written once (read by src/tlcourse/lessons.py).
# README.md's lessons table, book/intro.md's schedule, _toc.yml's lessons and each lesson's header are rendered from it
# by `python tools/course.py sync`; `make check` fails while one of them is stale. `measured` is written by
# `python tools/course.py times` (run by `make bench` and `make test-full`). Tools rewrite this file: comments other
# than this header are not kept.
"""


def _plain(obj):
    """A lesson (or part of one) as plain YAML data, without the fields left at their defaults."""
    if dataclasses.is_dataclass(obj):
        out = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            if value != default or f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                out[f.name] = _plain(value)
        return out
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def _list(dumper, data):   # short lists of scalars on one line, the rest as blocks
    flow = all(not isinstance(v, (dict, list)) for v in data) and len(repr(data)) < 80
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _list)


def dump(lessons: list[Lesson], path: Path | str | None = None) -> str:
    """Write ``lessons`` as the manifest at ``path`` (default: the package's); returns the text."""
    text = HEADER + yaml.dump({"lessons": [_plain(x) for x in sorted(lessons, key=lambda x: x.number)]},
                              Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    parse(yaml.safe_load(text), "the manifest about to be written")   # never write one that cannot be read back
    Path(path or PATH).write_text(text, encoding="utf-8")
    return text
