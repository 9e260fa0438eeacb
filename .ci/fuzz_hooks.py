"""Schemathesis hooks for .ci/fuzz: an NDJSON serializer for the bulk
routes' `application/x-ndjson` bodies."""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, list):
        return "\n".join(json.dumps(v) for v in value).encode()
    return json.dumps(value).encode()
