"""The real Pulumi engine for tests: inline Automation API stacks and CLI runs, each on its own backend."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pulumi import automation as auto

PASSPHRASE = "test-passphrase"


@dataclass(frozen=True)
class EngineSandbox:
    """A private file backend and the environment that points the engine at it."""

    root: Path

    @property
    def backend_url(self) -> str:
        return f"file://{self.root / 'backend'}"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        (self.root / "backend").mkdir(parents=True, exist_ok=True)
        env = {
            key: value
            for key, value in os.environ.items()
            # Each test names its own backend; stray Pulumi settings would leak between runs.
            if not key.startswith("PULUMI_") or key in _INHERITED
        }
        env.update(
            PULUMI_BACKEND_URL=self.backend_url,
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_SKIP_CONFIRMATIONS="true",
        )
        env.update(extra or {})
        return env

    def inline_stack(
        self,
        program: Callable[[], None],
        *,
        project: str = "test",
        stack: str = "test",
        config: Mapping[str, auto.ConfigValue] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> auto.Stack:
        work_dir = self.root / "work" / project
        work_dir.mkdir(parents=True, exist_ok=True)
        settings = auto.ProjectSettings(
            name=project, runtime="python", backend=auto.ProjectBackend(url=self.backend_url)
        )
        options = self._workspace(work_dir, env, settings)
        created = auto.create_or_select_stack(stack_name=stack, project_name=project, program=program, opts=options)
        return _configured(created, config)

    def project_stack(
        self,
        work_dir: Path,
        *,
        stack: str = "test",
        config: Mapping[str, auto.ConfigValue] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> auto.Stack:
        """A stack of the project in `work_dir` (its own Pulumi.yaml, any runtime) through the Automation API."""
        options = self._workspace(work_dir, env)
        return _configured(auto.create_or_select_stack(stack_name=stack, work_dir=str(work_dir), opts=options), config)

    def _workspace(
        self, work_dir: Path, env: Mapping[str, str] | None, settings: auto.ProjectSettings | None = None
    ) -> auto.LocalWorkspaceOptions:
        env_vars = self.env(env)
        return auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            pulumi_home=env_vars["PULUMI_HOME"],
            env_vars=env_vars,
            secrets_provider="passphrase",
            project_settings=settings,
        )

    def cli(self, args: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Runs `pulumi ARGS` as a user would; the caller asserts on the result."""
        return subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=cwd,
            env=self.env(env),
            text=True,
            capture_output=True,
            check=False,
            timeout=600,
        )


_INHERITED = {"PULUMI_HOME", "PULUMI_PYTHON_CMD"}


def _configured(stack: auto.Stack, config: Mapping[str, auto.ConfigValue] | None) -> auto.Stack:
    for key, value in (config or {}).items():
        stack.set_config(key, value)
    return stack
