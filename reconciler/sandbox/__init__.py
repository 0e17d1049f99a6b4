"""Local stand-in for AWS: moto, with MediaConnect made faithful for flow outputs.

`install()` patches moto in this process (use it with `mock_aws()`);
`serve()` / `python -m reconciler.sandbox --port PORT` runs it as an endpoint.
"""

from reconciler.sandbox.mediaconnect import SandboxSettings, install, settings

__all__ = ["SandboxSettings", "install", "settings"]
