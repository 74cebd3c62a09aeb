"""A local S3-compatible server (moto's server mode) for LanceDB on object storage.

:func:`s3_server` starts it on a free port, creates a bucket and returns the environment a process
needs to reach it (LanceDB's object store reads ``AWS_*`` variables). The server runs in its own
process: in the test process it would compete for the GIL with the scale-out suite's load balancer
and database proxy (threads of the test process), stalling every browser request while a worker
reads or writes the store.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def s3_server() -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``(bucket, env)``: a fresh bucket and the ``AWS_*`` variables pointing at the server."""
    import boto3
    import botocore.exceptions

    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        "AWS_ENDPOINT": f"http://127.0.0.1:{port}",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    bucket = f"agenthub-{uuid.uuid4().hex[:10]}"
    client = boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    deadline = time.monotonic() + 60
    while True:  # until the server answers
        try:
            client.create_bucket(Bucket=bucket)
            break
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError):
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.2)
    try:
        yield bucket, env
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
