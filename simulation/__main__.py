"""`python -m simulation --kubeconfig K --state-dir D`: the simulation controller of a local cluster."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from simulation.controller import Controller
from simulation.kube import Kube


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation", description=__doc__)
    parser.add_argument("--kubeconfig", type=Path, required=True, help="the cluster's admin kubeconfig")
    parser.add_argument("--state-dir", type=Path, required=True, help="where container logs are kept")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.kubeconfig.is_file():
        print(f"no kubeconfig at {args.kubeconfig}", file=sys.stderr)
        return 2
    args.state_dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(Kube(args.kubeconfig), args.state_dir)

    def stop(signum: int, frame: FrameType | None) -> None:
        controller.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    controller.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
