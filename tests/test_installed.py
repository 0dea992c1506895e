"""The set-up cell's report after `%pip install` (tlcourse.installed): one line naming what pip installed, and a
stop with what to do when pip replaced a package the session had already imported. The whole cell runs for real,
in a fresh environment, in `make test-standalone` (tools/standalone.py)."""

from __future__ import annotations

import json
import sys
import types

import pytest
import yaml

from tlcourse import installed


def _report(tmp_path, packages: dict[str, str]):
    path = tmp_path / "tlcourse-install.json"
    path.write_text(json.dumps({"version": "1", "install": [
        {"metadata": {"name": name, "version": version}, "requested": name == "tlcourse"}
        for name, version in packages.items()]}))
    return path


def test_one_line_names_what_pip_installed_and_the_report_is_removed(tmp_path, capsys):
    path = _report(tmp_path, {"tlcourse": "0.1.0", "pooch": "1.9.0", "keras-hub": "0.32.0"})
    assert installed.report(path) == {"tlcourse": "0.1.0", "pooch": "1.9.0", "keras-hub": "0.32.0"}
    out = capsys.readouterr().out
    assert out == ("Installed the course's package tlcourse 0.1.0 and 2 packages it needs: keras-hub 0.32.0, "
                   "pooch 1.9.0.\n")
    assert not path.exists()


def test_a_package_already_imported_at_another_version_stops_the_lesson(tmp_path, capsys):
    # yaml is imported here (tlcourse.lessons reads the manifest with it); pretend pip installed another PyYAML
    assert "yaml" in sys.modules
    path = _report(tmp_path, {"tlcourse": "0.1.0", "PyYAML": "0.0.1"})
    with pytest.raises(installed.RestartNeeded, match=rf"PyYAML {yaml.__version__} is loaded, pip installed 0.0.1\)"
                                                      r"\. Restart the session \(Colab: Runtime > Restart session"):
        installed.report(path)
    assert "1 package it needs: PyYAML 0.0.1" in capsys.readouterr().out


def test_the_same_version_or_a_module_not_yet_imported_needs_no_restart():
    numpy_like = types.ModuleType("numpy")
    numpy_like.__version__ = "2.3.5"
    assert installed.loaded_elsewhere({"numpy": "2.3.5"}, {"numpy": numpy_like}) == []
    assert installed.loaded_elsewhere({"numpy": "2.3.5"}, {}) == []
    assert installed.loaded_elsewhere({"numpy": "2.4.0"}, {"numpy": numpy_like}) == [("numpy", "2.3.5", "2.4.0")]
    pooch_like = types.ModuleType("pooch")   # pooch's __version__ is "v1.9.0"
    pooch_like.__version__ = "v1.9.0"
    assert installed.loaded_elsewhere({"pooch": "1.9.0"}, {"pooch": pooch_like}) == []
    pil = types.ModuleType("PIL")        # the distribution "pillow" is imported as PIL
    pil.__version__ = "1.0"
    assert installed.loaded_elsewhere({"Pillow": "13.0.0"}, {"PIL": pil}) == [("Pillow", "1.0", "13.0.0")]


def test_an_unreadable_report_is_said_not_raised(tmp_path, capsys):
    assert installed.report(tmp_path / "missing.json") == {}
    assert "could not be read" in capsys.readouterr().out


def test_nothing_installed_is_said_as_such(tmp_path, capsys):
    assert installed.report(_report(tmp_path, {})) == {}
    assert capsys.readouterr().out == ("pip installed nothing: the course's package and everything it needs were "
                                       "already here.\n")


def test_distribution_names_are_compared_as_pep_503_says():
    yaml_like = types.ModuleType("yaml")
    yaml_like.__version__ = "1.0"
    assert installed.loaded_elsewhere({"PyYAML": "2.0"}, {"yaml": yaml_like}) == [("PyYAML", "1.0", "2.0")]
    assert installed.loaded_elsewhere({"pyyaml": "2.0"}, {"yaml": yaml_like}) == [("pyyaml", "1.0", "2.0")]
