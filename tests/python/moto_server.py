"""Runs moto's server (the EC2 API and the rest of moto) on a free loopback port for a test.

Prints the port on the first line of standard output, then serves until standard input closes:
the test process that started it holds the other end, so the server ends with that process even
when a test panics or the process is killed. Run with the project's .venv python (see
scripts/python-env). moto's own settings come from the environment (MOTO_AMIS_PATH,
MOTO_ENABLE_AMI_VALIDATION, MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION, ...).
"""

import sys

from moto.moto_server.threaded_moto_server import ThreadedMotoServer


def main() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(port, flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
