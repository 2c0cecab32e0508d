"""A non-editable install finds its package data: `pip install .` into a fresh venv (the current
venv's packages stand in for the dependencies, so nothing but the build backend is downloaded),
then `python -m mediawatch enrich` on a text, run outside the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEXT = "استقبل الرئيس الروسي فلاديمير بوتين نظيره السوري أحمد الشرع في الكرملين لبحث التعاون الاقتصادي."
PROBE = """
import json, mediawatch
from mediawatch.briefing.html import TEMPLATES
from mediawatch.enrich.learned import TRAINED_DIR
from mediawatch.settings import DEFAULT_SEEDS_DIR
print(json.dumps({"package": mediawatch.__file__, "seeds": str(DEFAULT_SEEDS_DIR),
                  "seed_files": sorted(str(p.relative_to(DEFAULT_SEEDS_DIR)) for p in DEFAULT_SEEDS_DIR.rglob("*")
                                       if p.is_file()),
                  "templates": sorted(p.name for p in TEMPLATES.iterdir()),
                  "trained": sorted(p.name for p in TRAINED_DIR.glob("*.json"))}))
"""


def _source_tree(target: Path) -> Path:
    """What `pip install .` reads, copied out of the working tree (no build files left in the checkout)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in ("plugins", "seeds"):
        shutil.copytree(REPO / name, target / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(REPO / name, target / name)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv with mediawatch installed from a copy of the tree (not editable)."""
    root = tmp_path_factory.mktemp("install")
    source = _source_tree(root / "src")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # The dependencies: this venv's site-packages as a plain path entry (its .pth files, among them the
    # editable mediawatch, are not processed), after the new venv's own site-packages.
    Path(site, "deps-from-test-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                           str(source)], capture_output=True, text=True, timeout=600, cwd=root)
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def _run(python: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "MEDIAWATCH_SEEDS_DIR"}
           and not k.startswith("MEDIAWATCH_FEEDS")}
    return subprocess.run([str(python), *args], capture_output=True, text=True, input=stdin, env=env,
                          cwd=python.parents[2], timeout=300)


def test_the_installed_package_carries_seeds_kibana_objects_templates_and_models(installed: Path) -> None:
    done = _run(installed, "-c", PROBE)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    venv = installed.parents[1]
    assert Path(found["package"]).is_relative_to(venv) and Path(found["seeds"]).is_relative_to(venv)
    checkout_seeds = sorted(str(p.relative_to(REPO / "seeds")) for p in (REPO / "seeds").rglob("*") if p.is_file())
    assert found["seed_files"] == checkout_seeds
    assert {"feeds.yaml", "entities.yaml", "topics.yaml", "kibana/mediawatch.ndjson"} <= set(found["seed_files"])
    assert "briefing.html" in found["templates"]
    shipped_models = sorted(p.name for p in (REPO / "plugins/mediawatch/enrich/trained").glob("*.json"))
    assert found["trained"] == shipped_models
    assert not any(Path(found["package"]).parent.glob("dev")), "the development launchers are not shipped"


def test_the_installed_cli_enriches_a_text(installed: Path) -> None:
    done = _run(installed, "-m", "mediawatch", "enrich", "-", "--title", "بوتين يستقبل الشرع", stdin=TEXT)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["language"] == "ar" and result["relevance"]["relevant"] is True
    assert {"Vladimir Putin", "Ahmed al-Sharaa", "Russia", "Syria"} <= {e["name"] for e in result["entities"]}
