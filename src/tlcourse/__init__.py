"""Transfer Learning with TensorFlow: the course's small helper package.

- ``tlcourse.start``      run set-up: seeds, device, profile, banner (``runtime.py``)
- ``tlcourse.datasets``   every data set: ``load_<name>(run, n_train, n_test, seed)`` -> ``(train, test, class_names)``,
                          real data or, offline only, an announced stand-in (``datasets.py``)
- ``tlcourse.models``     pretrained weights (``pretrained``) and the models lessons share (``models.py``)
- ``tlcourse.features``   a disk cache for computed arrays such as bottleneck features (``features.py``)
- ``tlcourse.assets``     every remote file, fetched from cache, mirror or internet, verified (``assets.py``)
- ``tlcourse.callbacks``  the course's Keras callbacks: a TensorBoard folder per experiment (``callbacks.py``)
- ``tlcourse.plots``      learning curves, image grids, confusion matrices, parameter tables (``plots.py``)
- ``tlcourse.exercises``  checks of the challenges' answers, hints and model answers (``exercises.py``)
- ``tlcourse.checks``     input validation, safe array loading, scanning image folders for broken files (``checks.py``)

Imports flow one way: lesson → ``models`` → ``datasets`` → ``assets`` → ``registry``; no module imports one above
it (tests/test_package.py).
"""

from . import assets, callbacks, checks, datasets, exercises, features, models, plots
from .plots import param_table, plot_confusion, plot_history, show_images
from .runtime import Run, start

__version__ = "0.1.0"
__all__ = ["assets", "callbacks", "checks", "datasets", "exercises", "features", "models", "plots", "start", "Run",
           "plot_history", "show_images", "plot_confusion", "param_table"]
