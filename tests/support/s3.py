"""Team state on S3: moto's real server on loopback, and the one place for the settings this CLI needs there."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import boto3
from moto.server import ThreadedMotoServer

from tests.support.engine import EngineSandbox

REGION = "us-east-1"

# What `pulumi login s3://...` needs against a local S3 endpoint (README: "Team state on S3").
S3_ENV: dict[str, str] = {
    # Any credentials do for moto; the CLI's AWS SDK refuses to run without some.
    "AWS_ACCESS_KEY_ID": "moto-access-key",
    "AWS_SECRET_ACCESS_KEY": "moto-secret-key",
    # No instance-metadata lookups for credentials or region (they would hang on a closed network).
    "AWS_EC2_METADATA_DISABLED": "true",
    # The CLI's AWS SDK asks for a response checksum on every GetObject and moto 5.2 sends none back, so
    # each state read logs "WARN Response has no supported checksum. Not validating response payload."
    # Validating only where an operation requires it makes them agree. Request checksums (the SDK's
    # default CRC32 on PutObject) are accepted by moto and need no setting.
    "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
}


def login_url(bucket: str, endpoint: str) -> str:
    """The backend URL: path-style addressing, since `BUCKET.127.0.0.1` does not resolve."""
    query = urlencode({"endpoint": endpoint, "use_path_style": "true", "region": REGION}, safe=":/")
    return f"s3://{bucket}?{query}"


@dataclass(frozen=True)
class S3State:
    """A bucket on a running S3 endpoint that holds Pulumi state."""

    endpoint: str
    bucket: str

    @property
    def url(self) -> str:
        return login_url(self.bucket, self.endpoint)

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"],
        )

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key under a prefix (a single page is plenty for a test bucket)."""
        listed = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(str(item["Key"]) for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        body: bytes = self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body


@contextmanager
def moto_s3(bucket: str = "pulumi-state") -> Iterator[S3State]:
    """moto's real server mode on a free loopback port, with an empty bucket; stopped on exit."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        state = S3State(f"http://{host}:{port}", bucket)
        state.client().create_bucket(Bucket=bucket)
        yield state
    finally:
        server.stop()


@dataclass(frozen=True)
class S3EngineSandbox(EngineSandbox):
    """An engine sandbox whose backend is the S3 bucket instead of a private directory."""

    s3: S3State | None = None

    @property
    def state(self) -> S3State:
        assert self.s3 is not None, "S3EngineSandbox needs s3="
        return self.s3

    @property
    def backend_url(self) -> str:
        return self.state.url

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return super().env({**S3_ENV, **(extra or {})})
