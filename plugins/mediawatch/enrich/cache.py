"""A compiled copy of the enricher on disk, so a new process (every Airflow task) starts in ~1 s, not ~3 s.

Building the enricher lemmatizes every seed alias and lexicon entry with pymorphy3 and expands
the phrase indexes; the result depends only on its inputs, so it is pickled once and loaded
afterwards. The file's name is a hash of everything that could change the result: the seed
files' bytes, the shipped model files, the source of the enrich and learn packages, the Python version and the
versions of the libraries whose objects are inside. Nothing is ever invalidated by hand: a changed
input is a different file. Processes that build at the same time each write a private temporary
file and rename it into place, so a reader sees a whole file or none. A file that cannot be read
is rebuilt; a cache directory that cannot be written costs only the speed-up.

Only pickle files this user's own processes wrote are read: the directory is created mode 0700.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

LOG = logging.getLogger(__name__)
T = TypeVar("T")

# Libraries whose objects end up inside the pickle (a new version may not read an old one).
PICKLED_LIBRARIES = ("pymorphy3", "pymorphy3-dicts-ru", "camel-tools", "slovnet", "navec", "natasha", "numpy")
PACKAGE_DIR = Path(__file__).resolve().parent
# The learned models' classes and features live in mediawatch.learn: their source is an input too.
LEARN_DIR = PACKAGE_DIR.parent / "learn"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/mediawatch/enricher`` (default ``~/.cache/mediawatch/enricher``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mediawatch" / "enricher"


def _library_versions() -> str:
    versions = []
    for name in PICKLED_LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=none")
    return ";".join(versions)


def cache_key(inputs: list[Path], extra: str = "") -> str:
    """Hash of the input files' names and bytes, the package source, Python and library versions."""
    digest = hashlib.sha256(f"{sys.version}\0{_library_versions()}\0{extra}\0".encode())
    sources = sorted(PACKAGE_DIR.glob("*.py")) + sorted(LEARN_DIR.glob("*.py"))
    for path in [*inputs, *sources]:
        digest.update(str(path.name).encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def _read(path: Path) -> object | None:
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file: rebuild it
        LOG.warning("enricher cache %s unreadable (%s); rebuilding it", path, exc)
        return None


def _write(path: Path, value: object) -> None:
    """Write ``value`` to a private temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    for old in path.parent.glob("enricher-*.pickle"):  # other keys: older seeds or code
        if old != path:
            old.unlink(missing_ok=True)


def load_or_build(key: str, build: Callable[[], T], cache_dir: Path | None = None) -> T:
    """The value cached under ``key``, else ``build()``, stored for the next process."""
    path = (cache_dir or default_cache_dir()) / f"enricher-{key}.pickle"
    cached = _read(path)
    if cached is not None:
        LOG.info("enricher loaded from the cache %s", path)
        return cached  # type: ignore[return-value]
    value = build()
    try:
        _write(path, value)
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        LOG.warning("enricher not cached in %s (%s); the next process builds it again", path.parent, exc)
    return value
