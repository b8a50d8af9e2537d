"""The package as a user gets it: one version, the license, the sdist and the wheel, and the wheel installed
into a fresh virtual environment outside the source tree, where the demo command and a training script run."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

import autograd

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn")
RUNTIME_DEPENDENCIES = {"graphviz", "tqdm"}
DEMO_FILES = ("graph.svg", "backward.html", "decision_boundary.png", "loss_curve.png", "model.json")
# One worker builds the distributions once for every test here (make test runs pytest with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("packaging")


def pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def run(*command: str | Path, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a command, failing the test with its output if it exits non-zero."""
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{command} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


# ---------------------------------------------------------------------------------------------------------
# one version, one license
# ---------------------------------------------------------------------------------------------------------


def test_the_version_lives_in_pyproject_and_the_installed_metadata_and_autograd_report_it():
    version = pyproject()["project"]["version"]
    assert importlib.metadata.version("chaingrad") == version
    if hasattr(autograd, "__version__"):  # read from the metadata by autograd/__init__.py
        assert autograd.__version__ == version


def test_the_license_is_mit_for_the_chaingrad_authors_and_the_metadata_says_so():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "the chaingrad authors" in text.splitlines()[2]
    project = pyproject()["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert project["authors"] == [{"name": "the chaingrad authors"}]


def test_the_runtime_dependencies_are_graphviz_and_tqdm_only():
    project = pyproject()["project"]
    names = {d.split(">")[0].split("=")[0].split("<")[0].strip() for d in project["dependencies"]}
    assert names == RUNTIME_DEPENDENCIES
    assert not any(d.startswith(("torch", "numpy")) for d in project["dependencies"])


# ---------------------------------------------------------------------------------------------------------
# the sdist and the wheel
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`python -m build`: the sdist, then the wheel built from that sdist (so the sdist must be complete)."""
    out = tmp_path_factory.mktemp("dist")
    # Built from a copy of what the sdist holds: the suite's other worker writes and deletes files in the
    # checkout meanwhile, and setuptools, walking the tree, failed on one that vanished ("No such file").
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    run(sys.executable, "-m", "build", "--outdir", out, source)
    sdists, wheels = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, sorted(out.iterdir())
    return {"sdist": sdists[0], "wheel": wheels[0]}


def source_modules() -> set[str]:
    return {p.relative_to(ROOT).as_posix() for package in PACKAGES for p in (ROOT / package).glob("*.py")}


def test_twine_check_passes_on_the_sdist_and_the_wheel(dists):
    done = run(sys.executable, "-m", "twine", "check", "--strict", dists["sdist"], dists["wheel"], timeout=120)
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_the_wheel_holds_autograd_and_nn_with_py_typed_and_nothing_else(dists):
    version = pyproject()["project"]["version"]
    assert dists["wheel"].name == f"chaingrad-{version}-py3-none-any.whl"
    info = f"chaingrad-{version}.dist-info/"
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = wheel.namelist()
    stray = [n for n in names if not n.startswith(("autograd/", "nn/", info))]
    assert not stray, f"the wheel ships more than autograd/ and nn/: {stray}"
    assert {n for n in names if n.endswith(".py")} == source_modules()
    assert {"autograd/py.typed", "nn/py.typed"} <= set(names)
    assert {f"{info}licenses/LICENSE", f"{info}METADATA", f"{info}entry_points.txt"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_wheel_metadata_names_the_license_the_readme_the_dependencies_and_the_command(dists):
    project = pyproject()["project"]
    info = f"chaingrad-{project['version']}.dist-info/"
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        metadata = HeaderParser().parsestr(wheel.read(f"{info}METADATA").decode())
        entry_points = wheel.read(f"{info}entry_points.txt").decode()
    assert metadata["Name"] == "chaingrad" and metadata["Version"] == project["version"]
    assert metadata["License-Expression"] == "MIT" and metadata["License-File"] == "LICENSE"
    assert metadata["Requires-Python"] == ">=3.10"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload().startswith("# chaingrad")  # the README is the long description
    assert set(metadata.get_all("Classifier")) == set(project["classifiers"])
    unconditional = [r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert {r.split(">")[0] for r in unconditional} == RUNTIME_DEPENDENCIES
    assert {"test", "demo", "docs", "notebooks", "bench"} <= set(metadata.get_all("Provides-Extra"))
    assert "chaingrad = nn.demo:main" in entry_points


def test_the_sdist_holds_the_wheels_sources_and_metadata_and_nothing_else(dists):
    version = pyproject()["project"]["version"]
    top = f"chaingrad-{version}/"
    with tarfile.open(dists["sdist"]) as sdist:
        names = {m.name.removeprefix(top) for m in sdist.getmembers() if m.isfile()}
    assert {"pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "autograd/py.typed", "nn/py.typed"} <= names
    assert source_modules() <= names
    # PKG-INFO and setup.cfg are written by setuptools.
    top_files = {"pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "PKG-INFO", "setup.cfg"}
    stray = sorted(n for n in names - top_files if not n.startswith(("autograd/", "nn/", "chaingrad.egg-info/")))
    assert not stray, f"the sdist ships more than the packages: {stray}"


# ---------------------------------------------------------------------------------------------------------
# the wheel in a fresh virtual environment, outside the source tree
# ---------------------------------------------------------------------------------------------------------


TRAIN_SCRIPT = """\
import importlib.metadata

import autograd
import nn
from autograd import Value
from nn import optim

x = Value(2.0)
y = x * x + 3 * x
y.backward()
assert x.grad == 7.0, x.grad  # dy/dx = 2x + 3

X, labels = nn.make_moons(40, noise=0.1, seed=0)
model = nn.MLP(2, [8, 1], seed=0)
adam = optim.Adam(model.parameters(), lr=0.05)
history = nn.fit(model, X, labels, loss="hinge", optimizer=adam, epochs=15, progress=False, seed=0)
assert history.train_loss[-1] < history.train_loss[0], history.train_loss
model.save("model.json")
again = nn.load("model.json")
assert again.state_dict() == model.state_dict()
svg = autograd.draw_dot(model(X[0])).pipe(format="svg")
assert svg.startswith(b"<?xml") or b"<svg" in svg[:500]
print("version", importlib.metadata.version("chaingrad"))
print("loss", history.train_loss[0], "->", history.train_loss[-1])
print("accuracy", nn.accuracy(model, X, labels))
"""


@pytest.fixture(scope="module")
def installed(dists, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A fresh venv in a folder of its own (no checkout in sight), with the wheel and what pip resolves for it."""
    home = tmp_path_factory.mktemp("user")
    assert ROOT not in home.parents and not (home / "autograd").exists()
    venv = home / "venv"
    run(sys.executable, "-m", "venv", venv, timeout=120)
    bin_dir = venv / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # The runtime dependencies come from the wheel's own metadata, as for anyone who installs it.
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", dists["wheel"], env=env, cwd=home)
    return {"home": home, "bin": bin_dir, "env": env, "wheel": dists["wheel"]}


def in_venv(installed: dict, *command: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    kwargs = {"env": installed["env"], "cwd": installed["home"], "timeout": 300}
    if check:
        return run(*command, **kwargs)
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)


def test_installing_the_wheel_brings_only_graphviz_and_tqdm_and_imports_from_the_venv(installed):
    done = in_venv(installed, installed["bin"] / "python", "-c", textwrap.dedent("""\
        import importlib.metadata, json, autograd, nn
        print(autograd.__file__)
        print(nn.__file__)
        print(importlib.metadata.version("chaingrad"))
        print(json.dumps(sorted(d.metadata["Name"].lower() for d in importlib.metadata.distributions())))
    """))
    autograd_file, nn_file, version, names = done.stdout.splitlines()
    site_packages = installed["home"] / "venv" / "lib"
    for path in (autograd_file, nn_file):
        assert Path(path).is_relative_to(site_packages), f"imported from {path}, not from the fresh venv"
    assert version == pyproject()["project"]["version"]
    # pip and setuptools come with every venv; everything else is the wheel and its two dependencies.
    assert set(json.loads(names)) - {"pip", "setuptools"} == {"chaingrad"} | RUNTIME_DEPENDENCIES


def test_a_tiny_training_script_runs_on_the_installed_package(installed):
    script = installed["home"] / "train.py"
    script.write_text(TRAIN_SCRIPT, encoding="utf-8")
    done = in_venv(installed, installed["bin"] / "python", script)
    assert f"version {pyproject()['project']['version']}" in done.stdout
    assert (installed["home"] / "model.json").stat().st_size > 0


def test_the_chaingrad_command_shows_its_options(installed):
    done = in_venv(installed, installed["bin"] / "chaingrad", "--help")
    assert done.stdout.startswith("usage: chaingrad")
    for option in ("--dataset", "--hidden", "--epochs", "--optimizer", "--lr", "--seed", "--out"):
        assert option in done.stdout


def test_the_demo_needs_matplotlib_and_runs_after_installing_the_demo_extra(installed, tmp_path):
    out = tmp_path / "demo-out"
    # With the runtime dependencies only, the demo stops before training and says what to install.
    bare = in_venv(installed, installed["bin"] / "chaingrad", "--epochs", "3", "--out", out, "--no-progress",
                   check=False)  # fmt: skip
    assert bare.returncode == 1, bare.stdout + bare.stderr
    assert "matplotlib" in bare.stderr and "pip install" in bare.stderr
    # The demo extra brings matplotlib; then the command writes its five files into --out, and nothing else
    # lands in the folder it ran from.
    in_venv(installed, installed["bin"] / "python", "-m", "pip", "install", "--quiet", f"{installed['wheel']}[demo]")
    before = set(installed["home"].iterdir())
    done = in_venv(installed, installed["bin"] / "chaingrad", "--epochs", "3", "--out", out, "--no-progress")
    printed = done.stdout.rstrip().splitlines()[-len(DEMO_FILES):]
    for name, line in zip(DEMO_FILES, printed, strict=True):
        assert line.split() == [name, str(out / name)]
        assert (out / name).stat().st_size > 0
    assert set(installed["home"].iterdir()) == before
