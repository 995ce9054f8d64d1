#!/usr/bin/env python3
"""Write (and read back) safetensors files with plain PyTorch: the `safetensors` package is not in Debian.

As a module (tests/pytorch on sys.path):

    from export_safetensors import export_state_dict, save_file, load_file
    export_state_dict(model, "model.safetensors")                 # model.state_dict(), dtypes kept
    export_state_dict(model, "model_f16.safetensors", dtype=torch.float16)  # floats stored as F16
    save_file({"a": torch.ones(2, 3)}, "a.safetensors", metadata={"format": "pt"})
    tensors, metadata = load_file("a.safetensors")

As a program, converting a torch.save'd state_dict (or whole module) to safetensors:

    /usr/bin/python3 tests/pytorch/export_safetensors.py model.pt model.safetensors [--dtype f32|f16|bf16]

Strider's C++ side: strider::load_safetensors(path), then module.load_state_dict(file).

The format: 8-byte little-endian header length N; N bytes of JSON mapping each tensor name to
{"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data region, contiguous,
in the order written) plus an optional "__metadata__" of strings; the header is padded with spaces so
that the data region starts 8-byte aligned; then the raw little-endian data.
"""

import argparse
import json
import struct
import sys

import torch

DTYPE_NAMES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL",
}
NAME_DTYPES = {name: dtype for dtype, name in DTYPE_NAMES.items()}


def tensor_bytes(t):
    """The raw little-endian bytes of t (any dtype above, any rank including 0)."""
    flat = t.detach().cpu().contiguous().reshape(-1)
    if flat.dtype == torch.bool:
        flat = flat.to(torch.uint8)
    # numpy has no bfloat16; a byte view works for every dtype.
    return flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""


def serialize(tensors, metadata=None):
    """The bytes of a safetensors file holding `tensors` (name -> torch.Tensor), sorted by name."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in DTYPE_NAMES:
            raise ValueError(f"{name}: dtype {t.dtype} has no safetensors name here")
        data = tensor_bytes(t)
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save_file(tensors, path, metadata=None):
    with open(path, "wb") as f:
        f.write(serialize(tensors, metadata))


def load_file(path):
    """(tensors, metadata) of a safetensors file; a plain reader for round-trip checks."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = NAME_DTYPES[entry["dtype"]]
        buf = bytearray(data[begin:end])
        flat = torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors, metadata


def export_state_dict(module_or_state, path, dtype=None, metadata=None):
    """Writes a module's state_dict (or a state_dict) with PyTorch's key names. dtype (torch.float16,
    torch.bfloat16, torch.float32) converts the floating-point tensors; integer buffers such as
    BatchNorm's num_batches_tracked stay int64 (Strider accepts and ignores that one)."""
    state = module_or_state.state_dict() if isinstance(module_or_state, torch.nn.Module) else module_or_state
    tensors = {}
    for name, t in state.items():
        t = t.detach()
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        tensors[name] = t
    save_file(tensors, path, metadata)
    return tensors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", help="a torch.save'd state_dict or nn.Module")
    parser.add_argument("output", help="the safetensors file to write")
    parser.add_argument("--dtype", choices=["f32", "f16", "bf16"], help="store floating-point tensors as this")
    args = parser.parse_args()
    obj = torch.load(args.input, map_location="cpu")
    dtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16, None: None}[args.dtype]
    tensors = export_state_dict(obj, args.output, dtype, {"format": "pt"})
    print(f"{args.output}: {len(tensors)} tensors", file=sys.stderr)


if __name__ == "__main__":
    main()
