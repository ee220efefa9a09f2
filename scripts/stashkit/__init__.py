"""stashkit: the operator CLI that renders, deploys and checks Logstash with its status sidecar."""

__version__ = "0.1.0"
