"""The Node.js and YAML language hosts from scripts/ensure-engine.sh run programs in a project directory.

No provider is involved (stack outputs and config only), so a failure here is the host's, not the plugin's; the
examples with the native provider are tests/examples/test_languages.py. Node.js programs use the @pulumi/pulumi
that examples/typescript installs (stripe_apps_devtools.npm), through a symlinked node_modules.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from stripe_apps_devtools import npm
from tests.support.engine import EngineSandbox

ROOT = Path(__file__).resolve().parents[2]


def project(tmp_path: Path, pulumi_yaml: str, files: dict[str, str]) -> Path:
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text(textwrap.dedent(pulumi_yaml))
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text))
    if "package.json" in files:
        node_modules = npm.ensure(ROOT / "examples" / "typescript")
        (directory / "node_modules").symlink_to(node_modules, target_is_directory=True)
    return directory


def lifecycle(engine: EngineSandbox, directory: Path) -> dict[str, object]:
    """init, config, up, preview (no changes), destroy; returns the outputs after up."""
    outputs: dict[str, object] = {}
    for args in (
        ["stack", "init", "dev"],
        ["config", "set", "who", "engine"],
        ["up", "--yes"],
        ["stack", "output", "--json"],
        ["preview", "--expect-no-changes"],
        ["destroy", "--yes"],
        ["stack", "rm", "dev", "--yes"],
    ):
        done = engine.cli(args, cwd=directory)
        assert done.returncode == 0, f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        if args[:2] == ["stack", "output"]:
            outputs = json.loads(done.stdout)
    return outputs


def test_nodejs_host_runs_a_typescript_program(engine: EngineSandbox, tmp_path: Path) -> None:
    directory = project(
        tmp_path,
        """\
        name: node-host
        runtime: nodejs
        """,
        {
            "package.json": '{"name": "node-host", "main": "index.ts"}\n',
            "index.ts": """\
                import * as pulumi from "@pulumi/pulumi";

                const config = new pulumi.Config();
                export const greeting: string = `hello ${config.require("who")}`;
                export const stack = pulumi.getStack();
                """,
        },
    )
    assert lifecycle(engine, directory) == {"greeting": "hello engine", "stack": "dev"}


def test_nodejs_host_reports_a_failing_javascript_program(engine: EngineSandbox, tmp_path: Path) -> None:
    directory = project(
        tmp_path,
        """\
        name: node-host-fails
        runtime:
          name: nodejs
          options:
            typescript: false
        """,
        {
            "package.json": '{"name": "node-host-fails", "main": "index.js"}\n',
            # An exit code, not an exception: on Node 20.20 @pulumi/pulumi's report of an uncaught error spends
            # ~20-40 s in util.inspect (nodejs/node#64011, fixed in later Node releases) before printing it.
            "index.js": 'console.log("giving up");\nprocess.exitCode = 3;\n',
        },
    )
    assert engine.cli(["stack", "init", "dev"], cwd=directory).returncode == 0
    failed = engine.cli(["up", "--yes"], cwd=directory)
    assert failed.returncode != 0
    assert "giving up" in failed.stdout
    assert "program exited with non-zero exit code: 3" in failed.stdout + failed.stderr


def test_nodejs_host_names_missing_dependencies(engine: EngineSandbox, tmp_path: Path) -> None:
    directory = project(tmp_path, "name: node-host-bare\nruntime: nodejs\n", {"index.js": "module.exports = {};\n"})
    assert engine.cli(["stack", "init", "dev"], cwd=directory).returncode == 0
    failed = engine.cli(["preview"], cwd=directory)
    assert failed.returncode != 0
    assert "@pulumi/pulumi is not installed" in failed.stdout + failed.stderr
    assert "npm ci" in failed.stdout + failed.stderr


def test_yaml_host_runs_a_program(engine: EngineSandbox, tmp_path: Path) -> None:
    directory = project(
        tmp_path,
        """\
        name: yaml-host
        runtime: yaml
        config:
          who:
            type: string
        outputs:
          greeting: hello ${who}
          stack: ${pulumi.stack}
        """,
        {},
    )
    assert lifecycle(engine, directory) == {"greeting": "hello engine", "stack": "dev"}
