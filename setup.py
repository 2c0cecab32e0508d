"""Build hook (the rest of the build is declared in pyproject.toml).

The seed files (feed registry, watchlist, lexicons, topic rules, Kibana objects, demo feeds) live
in ``seeds/`` at the repository root, beside ``plugins/``; this copies them into the built package
as ``mediawatch/seeds/``, where ``settings.DEFAULT_SEEDS_DIR`` finds them after a non-editable
``pip install .``. Editable installs and Airflow's plugins/ folder use the checkout's seeds/.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SEEDS = Path(__file__).resolve().parent / "seeds"


class BuildWithSeeds(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            shutil.copytree(SEEDS, Path(self.build_lib) / "mediawatch" / "seeds", dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))


setup(cmdclass={"build_py": BuildWithSeeds})
