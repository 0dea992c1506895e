"""Transfer Learning with TensorFlow: the course's small helper package.

- ``tlcourse.start``      run set-up: seeds, device, profile, banner (``runtime.py``)
- ``tlcourse.assets``     every remote file, fetched from cache, mirror or internet, verified (``assets.py``)
- ``tlcourse.data``       data sets and pretrained weights, with announced offline stand-ins (``data.py``)
- ``tlcourse.plots``      learning curves, image grids, confusion matrices, parameter tables (``plots.py``)
- ``tlcourse.checks``     input validation, safe array loading, scanning image folders for broken files (``checks.py``)
"""

from . import assets, checks, data, plots
from .plots import param_table, plot_confusion, plot_history, show_images
from .runtime import Run, start

__version__ = "0.1.0"
__all__ = ["assets", "checks", "data", "plots", "start", "Run", "plot_history", "show_images", "plot_confusion",
           "param_table"]
