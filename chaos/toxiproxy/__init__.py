"""Network faults through Toxiproxy's HTTP API.

client.py    ToxiproxyClient: a small typed async client (real Toxiproxy or embedded)
errors.py    its typed errors, all ChaosError
models.py    Proxy, Toxic, ProxySpec: the API's JSON shapes
mapping.py   toxic_for(): a scenario's network fault as a toxic
launch.py    choose_server(), wait_until_ready(): which server a run uses, and starting it
server/      the embedded Toxiproxy-compatible server (``chaos proxy serve``)
"""
