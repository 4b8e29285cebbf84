#!/usr/bin/env python3
# Writes fixture.safetensors byte by byte, the way other safetensors writers lay a file out
# (no staa metadata): u64 little-endian header length, JSON header padded with spaces to a
# multiple of 8, then the data buffer. Standard library only; see README.md for the contents.
import json
import struct

tensors = [  # (name, dtype, shape, struct format, values), in data order
    ("weight", "F32", [2, 2], "<4f", [1.0, -2.5, 0.0, 3.25]),
    ("bias", "F64", [2], "<2d", [0.5, -1e300]),
    ("step", "I64", [], "<q", [42]),
    ("labels", "I64", [3], "<3q", [-1, 0, 7]),
    ("empty", "F32", [0], "<0f", []),
]

data = b""
entries = {}
for name, dtype, shape, fmt, values in tensors:
    blob = struct.pack(fmt, *values)
    entries[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
    data += blob

# Header keys in an order other than the data order, with the default ", " / ": " separators.
header = {"__metadata__": {"format": "pt", "note": "caf\u00e9"}}
for name in ["labels", "weight", "empty", "step", "bias"]:
    header[name] = entries[name]
text = json.dumps(header, ensure_ascii=False).encode("utf-8")
text += b" " * (-len(text) % 8)

with open("fixture.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)
