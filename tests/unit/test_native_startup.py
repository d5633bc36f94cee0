"""What the plugin process loads: only what its calls use, so each Pulumi command's first call waits for no more."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from pulumi_stripe_apps.native.server import skip_httpx_command_line
skip_httpx_command_line()
import httpx
with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204))) as client:
    status = client.get("http://127.0.0.1/").status_code
print(status, "click" in sys.modules, "rich" in sys.modules, sys.modules["httpx._main"])
"""


def test_the_plugin_never_loads_httpxs_command_line_tool() -> None:
    """The development environment has click and rich (httpx's CLI extras); the plugin still leaves them out and
    httpx still works."""
    assert subprocess.run([sys.executable, "-c", "import click, rich"], check=False).returncode == 0
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert probe.stdout.split() == ["204", "False", "False", "None"]
