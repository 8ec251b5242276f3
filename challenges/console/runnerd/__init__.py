"""The console runner: a service of its own that runs a learner's kubectl where there is nothing to steal.

It imports nothing of Django, the apps or `config` (an import-linter contract in pyproject.toml
enforces it), so it holds no secret key, no database URL and no platform kubeconfig: what a
hostile kubectl could read in its sandbox is kubectl itself and the learner's own kubeconfig.
The web app sends it one command at a time over an authenticated local channel and reads the
output as it streams back (see `protocol` for the wire format).

    python -m challenges.console.runnerd --listen unix:///path/to/private/dir/runner.sock
    python -m challenges.console.runnerd --listen tcp://0.0.0.0:8765 --sandbox container
"""
