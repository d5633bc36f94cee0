"""customTimeouts and Cancel on the native front, through the real engine and a YAML program on both surfaces.

One stack per surface, an install the emulator holds pending throughout: a create bounded by customTimeouts fails
naming it; an `up` sent SIGINT while it waits ends at once (the engine calls Cancel); once Stripe finishes, the next
`up` converges on the one install Stripe made. Pulumi's Python dynamic providers see neither (README).
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from pulumi_stripe_apps.poll import wait_until
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.languages import LanguageExample
from tests.support.surfaces import Surface

PROGRAM = """name: stripe-apps-yaml
runtime: yaml
resources:
  billing-helper:
    type: stripe-apps:index:AppVersion
    properties:
      appDir: app
  billing-helper-test:
    type: stripe-apps:index:AppInstallation
    properties:
      app: ${billing-helper.app}
      version: ${billing-helper.version}
      mode: test
OPTIONS
outputs:
  install: ${billing-helper-test.id}
  status: ${billing-helper-test.status}
"""
BOUNDED = "    options:\n      customTimeouts:\n        create: 2s\n"
# Far beyond any wait of these tests: a step that ends did not run out of it.
STACK_POLL_TIMEOUT = "600"


def install_waits(surface: Surface, install_path: str, before: int) -> bool:
    """Whether the provider is polling the install (more retrieves of it than `before`)."""
    return count_retrieves(surface, install_path) > before


def count_retrieves(surface: Surface, install_path: str) -> int:
    return sum(1 for entry in surface.control.requests() if (entry["method"], entry["path"]) == ("GET", install_path))


def test_custom_timeouts_bound_a_pending_install_and_sigint_cancels_the_wait(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    control = surface.control
    project = LanguageExample(
        "yaml", tmp_path, engine, surface, program={"Pulumi.yaml": PROGRAM.replace("OPTIONS\n", BOUNDED)}
    )
    project.run("stack", "select", "--create", "dev")
    for key, value in {**project.settings, "stripe-apps:pollTimeout": STACK_POLL_TIMEOUT}.items():
        project.run("config", "set", key, value)
    control.transitions(install="held")

    # customTimeouts.create bounds the wait: the step fails naming the bound and what to do.
    bounded = project.run("up", "--yes", ok=False)
    message = bounded.stdout + bounded.stderr
    assert bounded.returncode != 0
    assert "still installing after 2s (customTimeouts.create)" in message, message
    assert "raise customTimeouts.create" in message, message
    [pending] = objects(control, "install")
    assert pending["status"] == "installing"

    # Without it, the wait would last the stack's pollTimeout: SIGINT makes the engine call Cancel, and the up ends.
    (project.dir / "Pulumi.yaml").write_text(PROGRAM.replace("OPTIONS\n", ""))
    install_path = f"/v1/apps/installs/{pending['id']}"
    before = count_retrieves(surface, install_path)
    running = subprocess.Popen(
        ["pulumi", "up", "--yes", "--non-interactive"],
        cwd=project.dir,
        env=engine.env(project.env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(
            lambda: install_waits(surface, install_path, before) or running.poll() is not None,
            bool,
            timeout=120,
            action="waiting for",
            subject="the provider to poll the pending install",
        )
        assert running.poll() is None, running.communicate()[0]
        running.send_signal(signal.SIGINT)
        output, _ = running.communicate(timeout=60)  # far less than the stack's pollTimeout of 600s
    finally:
        if running.poll() is None:
            running.kill()
            running.communicate()
    assert running.returncode != 0
    assert "cancelled: the engine asked the provider to stop" in output, output
    assert [install["status"] for install in objects(control, "install")] == ["installing"]

    # Stripe finishes; the next up finds the install it made and converges on it: nothing made twice.
    control.transitions(install="immediate")
    assert control.release() == 1
    project.run("up", "--yes")
    assert project.outputs() == {"install": f"test/{pending['id']}", "status": "installed"}  # MODE/appinst_...
    assert [install["id"] for install in objects(control, "install")] == [pending["id"]]
    project.run("preview", "--expect-no-changes")
