"""Start LiteLLM's proxy where `chaos run` asks (CHAOS_TARGET_PORT), with this folder's config.

A scenario's start command is a plain argv (no shell), so the port from the environment
contract is put on LiteLLM's command line here.
"""

import os
import sys
from pathlib import Path

from litellm.proxy.proxy_cli import run_server

config = Path(__file__).resolve().parent / "config.yaml"
sys.argv = ["litellm", "--config", str(config), "--host", "127.0.0.1", "--port", os.environ["CHAOS_TARGET_PORT"]]
run_server()
