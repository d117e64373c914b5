"""Toxiproxy's JSON shapes, as the client reads them and the embedded server writes them.

A real Toxiproxy adds fields of its own (2.12 emits a stray ``"Logger": {}`` in every
proxy); readers ignore what they do not know, so these models keep ``extra="ignore"``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Stream(StrEnum):
    UPSTREAM = "upstream"  # client -> upstream server
    DOWNSTREAM = "downstream"  # upstream server -> client


class Toxic(BaseModel):
    """A toxic as Toxiproxy reports it: every attribute of its type, defaults filled in."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    attributes: dict[str, int] = Field(default_factory=dict)
    name: str
    type: str
    stream: Stream
    toxicity: float


class Proxy(BaseModel):
    """A proxy as Toxiproxy reports it; ``listen`` is resolved once the proxy has started."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: list[Toxic] = Field(default_factory=list)


class ProxySpec(BaseModel):
    """A proxy to create, as ``POST /populate`` and ``toxiproxy-server -config`` take it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    upstream: str = Field(min_length=1)
    listen: str = "127.0.0.1:0"
    enabled: bool = True
