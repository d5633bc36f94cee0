"""A user's machine for the consumer tests: the release artifacts, and nothing of this checkout.

`Artifacts` are what `make dist` builds (built once per session into a temporary directory). A `UserMachine` is a
temporary home outside the checkout with a fresh PULUMI_HOME and a file backend, whose PATH holds only the engine's
install directory (`scripts/ensure-engine.sh --install`: the CLI and its language hosts, which run on their own
Python) and the system's directories, with no PYTHONPATH and no variable of this repository's environment.
`InstalledEmulator` is `stripe-apps-emulator serve` run from a venv where the user installed the wheel, read the way
a user reads it (the URL and keys it prints).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pulumi_stripe_apps import __version__
from pulumi_stripe_apps.resources.app_installation import stripe_install_id
from stripe_apps_emulator.testing import ControlClient
from tests.support import readme_install
from tests.support.stripe_cli import install_stripe_cli
from tests.support.surfaces import Surface, SurfaceName

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
PASSPHRASE = "consumer-passphrase"
# What a user's shell has that this machine's package tools need (the certificate bundle, pip's local wheels).
KEPT_VARIABLES = ("LANG", "LC_ALL", "TZ", "PIP_CERT", "PIP_FIND_LINKS", "PIP_INDEX_URL", "SSL_CERT_FILE")
TIMEOUT = 900


@dataclass(frozen=True)
class Artifacts:
    """The release files of one `make dist`, all of one version."""

    directory: Path
    version: str

    @property
    def wheel(self) -> Path:
        return self.directory / f"pulumi_stripe_apps-{self.version}-py3-none-any.whl"

    @property
    def sdist(self) -> Path:
        return self.directory / f"pulumi_stripe_apps-{self.version}.tar.gz"

    @property
    def plugin_archive(self) -> Path:
        return self.directory / f"pulumi-resource-stripe-apps-v{self.version}-linux-amd64.tar.gz"

    @property
    def npm_tarball(self) -> Path:
        return self.directory / f"pulumi-stripe-apps-{self.version}.tgz"

    def all(self) -> list[Path]:
        return [self.wheel, self.sdist, self.plugin_archive, self.npm_tarball]


def build_artifacts(directory: Path) -> Artifacts:
    """`make dist`'s script, into directory (the checkout's dist/ is left alone)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dist.py"), "--out", str(directory)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"make dist failed:\n{done.stdout}\n{done.stderr}"
    artifacts = Artifacts(directory, __version__)
    missing = [path.name for path in artifacts.all() if not path.is_file()]
    assert not missing, f"make dist did not write {missing}; it printed:\n{done.stdout}"
    return artifacts


def engine_install_bin() -> Path:
    """The engine's install directory, as a user's PATH has it (see scripts/ensure-engine.sh)."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "ensure-engine.sh"), "--install"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip().splitlines()[-1])


@dataclass
class UserMachine:
    """A home directory with its own PULUMI_HOME and backend, and the environment a user's shell gives commands."""

    home: Path
    engine_bin: Path
    variables: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        (self.home / "backend").mkdir(parents=True, exist_ok=True)
        assert not self.home.resolve().is_relative_to(ROOT), "a user's machine lies outside the checkout"

    @property
    def pulumi_home(self) -> Path:
        return self.home / ".pulumi"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
        env.update(
            HOME=str(self.home),
            PATH=os.pathsep.join((str(self.engine_bin), *SYSTEM_PATH)),
            PULUMI_HOME=str(self.pulumi_home),
            PULUMI_BACKEND_URL=f"file://{self.home / 'backend'}",
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="true",
            # No download may stand in for an install the README tells the user to make.
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            npm_config_cache=str(npm_cache()),
            npm_config_update_notifier="false",
        )
        env.update(self.variables)
        env.update(extra or {})
        return env

    def backend_of(self, project: Path) -> dict[str, str]:
        """A backend of the project's own: projects of one name (a README's, a template's) share the machine."""
        backend = self.home / "backends" / project.name
        backend.mkdir(parents=True, exist_ok=True)
        return {"PULUMI_BACKEND_URL": f"file://{backend}"}

    def run(
        self, command: list[str] | str, cwd: Path, env: Mapping[str, str] | None = None, *, ok: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """A command (a list, or a bash script) as the user types it in cwd."""
        argv = ["bash", "-euo", "pipefail", "-c", command] if isinstance(command, str) else command
        done = subprocess.run(
            argv, cwd=cwd, env=self.env(env), capture_output=True, text=True, check=False, timeout=TIMEOUT
        )
        if ok:
            assert done.returncode == 0, f"{command} in {cwd} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        return done

    def pulumi(
        self, *args: str, cwd: Path, env: Mapping[str, str] | None = None, ok: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.run(["pulumi", *args, "--non-interactive"], cwd, env, ok=ok)

    def install_plugin(self, release: Artifacts, *, ok: bool = True) -> subprocess.CompletedProcess[str]:
        """The README's plugin step (`pulumi plugin install resource stripe-apps VERSION --file ARCHIVE`), run with
        `$DIST` naming release's directory."""
        (step,) = readme_install.steps("plugin")
        return self.run(step.text, self.home, {"DIST": str(release.directory)}, ok=ok)


def npm_cache() -> Path:
    """npm's package cache on this machine (shared with the examples; see stripe_apps_devtools.npm)."""
    explicit = os.environ.get("STRIPE_APPS_CACHE")
    root = Path(explicit) if explicit else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return (root if explicit else root / "pulumi-stripe-apps") / "npm"


def python_venv(machine: UserMachine, artifacts: Artifacts, directory: Path) -> Path:
    """A venv with the wheel and its emulator extra, as the README's emulator section installs it."""
    machine.run(["python3", "-m", "venv", str(directory)], machine.home)
    machine.run([str(directory / "bin" / "pip"), "install", "-q", f"{artifacts.wheel}[emulator]"], machine.home)
    return directory


@dataclass(frozen=True)
class InstalledEmulator:
    """What `stripe-apps-emulator serve` printed: its address, its internal address and the seeded keys."""

    url: str
    internal_url: str
    keys: dict[str, dict[str, str]]


KEY_LINE = re.compile(r"^(\w+)\.(\w+)=(\S+)$")


@contextmanager
def installed_emulator(machine: UserMachine, venv: Path, surface: SurfaceName) -> Iterator[Surface]:
    """The emulator from the installed wheel, on one surface, as a `Surface` the tests' helpers know."""
    emulator_surface = "stripe" if surface == "stripe" else "full"
    process = subprocess.Popen(
        [str(venv / "bin" / "stripe-apps-emulator"), "serve", "--port", "0", "--surface", emulator_surface],
        cwd=machine.home,
        env=machine.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://"), f"the emulator printed {url!r}; stderr:\n{_stderr_of_ended(process)}"
        internal_url = url
        keys: dict[str, dict[str, str]] = {}
        # The lines after the URL: the internal address (stripe surface), then the keys, the sandbox's test key last.
        while "test" not in keys.get("sandbox", {}):
            line = process.stdout.readline()
            assert line, f"the emulator stopped before printing its keys:\n{_stderr_of_ended(process)}"
            if line.startswith("internal="):
                internal_url = line.strip().removeprefix("internal=")
            elif match := KEY_LINE.match(line.strip()):
                keys.setdefault(match[1], {})[match[2]] = match[3]
        emulator = InstalledEmulator(url, internal_url, keys)
        with ControlClient(internal_url) as control:
            stripe_cli = (
                install_stripe_cli(machine.home / f"stripe-cli-{surface}", internal_url)
                if surface == "stripe"
                else None
            )
            yield Surface(surface, emulator, control, stripe_cli)  # type: ignore[arg-type]
    finally:
        process.terminate()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _stderr_of_ended(process: subprocess.Popen[str]) -> str:
    """What a process that stopped talking wrote to stderr (nothing is read from one still running)."""
    if process.stderr is None or process.poll() is None:
        return "(still running)"
    return process.stderr.read()


def copy_app(source: Path, project: Path) -> None:
    """The user's Stripe App directory (built with the Stripe CLI as usual) beside their program."""
    shutil.copytree(source, project / "app", ignore=shutil.ignore_patterns("node_modules"))


def readme_project(machine: UserMachine, artifacts: Artifacts, language: str, name: str, app: Path) -> Path:
    """A project written from scratch by the README's Install steps for language, with the user's app in `app/`."""
    project = machine.home / name
    project.mkdir()
    copy_app(app, project)
    for step in readme_install.steps(language):
        if step.kind == "file":
            (project / step.name).write_text(step.text)
        else:
            machine.run(step.text, project, {"DIST": str(artifacts.directory)})
    return project


def live_install_ids(surface: Surface) -> set[str]:
    """The installs the emulator holds (an uninstall still being processed counts as gone)."""
    installs = surface.control.state()["objects"].get("install", [])
    return {install["id"] for install in installs if install["status"] != "uninstalling"}


def manifest_id(project: Path) -> str:
    found: str = json.loads((project / "app" / "stripe-app.json").read_text())["id"]
    return found


def lifecycle(machine: UserMachine, project: Path, surface: Surface, output: str) -> None:
    """The README's `pulumi stack init` and `up`, then what a user does next: `preview --expect-no-changes`,
    `refresh`, `destroy`; the emulator holds the stack's install from `up` until `destroy`."""
    env = {**surface.env(app_ids=[manifest_id(project)]), **machine.backend_of(project)}
    for step in readme_install.steps("all"):
        machine.run(step.text, project, env)
    outputs = json.loads(machine.pulumi("stack", "output", "--json", cwd=project, env=env).stdout)
    installed = stripe_install_id(outputs[output])
    assert installed in live_install_ids(surface), f"up reported {outputs} but the emulator holds no such install"
    machine.pulumi("preview", "--expect-no-changes", cwd=project, env=env)
    refreshed = machine.pulumi("refresh", "--yes", "--skip-preview", cwd=project, env=env)
    assert "update" not in refreshed.stdout.split("Resources:")[-1], f"refresh found drift:\n{refreshed.stdout}"
    machine.pulumi("destroy", "--yes", "--skip-preview", cwd=project, env=env)
    assert installed not in live_install_ids(surface), "destroy left the install on the emulator"


TEMPLATES = ROOT / "templates"


def template_project(
    machine: UserMachine, surface: Surface, template: str, name: str, app: Path, env: Mapping[str, str]
) -> Path:
    """`pulumi new <template dir> --yes --config ...` with the template's prompts answered, then the user's app."""
    project = machine.home / name
    env = {**env, **machine.backend_of(project)}
    machine.pulumi(
        "new",
        str(TEMPLATES / template),
        "--yes",
        "--dir",
        str(project),
        "--stack",
        "dev",
        "--config",
        f"stripe-apps:testApiKey={surface.keys['default']['test']}",
        "--config",
        "appDir=app",
        cwd=machine.home,
        env=env,
    )
    copy_app(app, project)
    return project


def template_lifecycle(machine: UserMachine, project: Path, surface: Surface, output: str) -> None:
    """`up` of a project made from a template, then `destroy`; the key came from the template's prompt."""
    env = {key: value for key, value in surface.env(app_ids=[manifest_id(project)]).items() if "API_KEY" not in key}
    env.update(machine.backend_of(project))
    machine.pulumi("up", "--yes", "--skip-preview", cwd=project, env=env)
    outputs = json.loads(machine.pulumi("stack", "output", "--json", cwd=project, env=env).stdout)
    installed = stripe_install_id(outputs[output])
    assert installed in live_install_ids(surface), f"up reported {outputs} but the emulator holds no such install"
    machine.pulumi("destroy", "--yes", "--skip-preview", cwd=project, env=env)
    assert installed not in live_install_ids(surface), "destroy left the install on the emulator"
