"""sqlite-utils, imported without letting it import numpy and pandas.

sqlite-utils imports both whenever they are installed, only to recognise their scalar types in
values it is given; tracker never hands it any. Re-measured 2026-12-02 (python -X importtime,
2 cores): importing sqlite-utils took 365-380 ms with numpy installed and 200-220 ms without it
(600 ms where pandas is installed too), more than a single `resolve`'s own work. Blocking the two
names for the length of this one import leaves them importable for
everything else (SciPy still gets numpy when a fit needs it). Every tracker module imports
sqlite-utils from here.
"""

import sys

if "sqlite_utils" not in sys.modules:
    _blocked = [name for name in ("numpy", "pandas") if name not in sys.modules]
    for _name in _blocked:
        sys.modules[_name] = None  # type: ignore[assignment]  # `import name` now raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for _name in _blocked:
            sys.modules.pop(_name, None)

from sqlite_utils import Database, Migrations

__all__ = ["Database", "Migrations"]
