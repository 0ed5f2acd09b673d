"""Protobuf by hand, for the suites that play a hostile or a fake peer (tests/security,
tests/ctl, tests/viewer, tests/sensor, tests/fuzz/gen-seeds.py): they must be able to send what
no netvigil program would (out-of-range values, unknown fields, bad UTF-8), so no generated
code. Field numbers are proto/netvigil.proto's.

  varint(v)                    a base-128 varint (negatives as 64-bit two's complement)
  f_varint / f_bytes / f_double / f_sfixed64 (num, value)   one field of that wire type
  field(num, value)            one field, its wire type from value's Python type
  msg((num, value), ...)       a message from (number, value) pairs; None values left out
  decode(data)                 {number: [values]}: varints as int, fixed64 as signed int,
                               fixed32 as signed int, length-delimited as bytes
  read_varint(data, i)         (value, next index); ValueError when data ends inside it
  one(d, num, default)         the last value of a field in a decode() result
"""
import struct


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def f_varint(num, v):
    return varint(num << 3) + varint(v)


def f_bytes(num, b):
    """A length-delimited field: string (UTF-8, lone surrogates kept as bytes), bytes or an
    encoded sub-message."""
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogateescape")
    return varint(num << 3 | 2) + varint(len(b)) + b


def f_double(num, x):
    return varint(num << 3 | 1) + struct.pack("<d", x)


def f_sfixed64(num, v):
    return varint(num << 3 | 1) + struct.pack("<q", v)


def field(num, value):
    """int or bool -> varint, str/bytes -> length-delimited, ('f64', int) -> sfixed64,
    float -> double."""
    if isinstance(value, tuple):
        return f_sfixed64(num, value[1])
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return f_varint(num, value)
    if isinstance(value, float):
        return f_double(num, value)
    return f_bytes(num, value)


def msg(*fields):
    return b"".join(field(n, v) for n, v in fields if v is not None)


def read_varint(data, i):
    v = shift = 0
    while True:
        if i >= len(data):
            raise ValueError("message ends inside a varint")
        b = data[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, i


def decode(data):
    out, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(data, i)
        elif wt == 1:
            v, i = struct.unpack_from("<q", data, i)[0], i + 8
        elif wt == 5:
            v, i = struct.unpack_from("<i", data, i)[0], i + 4
        elif wt == 2:
            n, i = read_varint(data, i)
            if i + n > len(data):
                raise ValueError("field %d runs past the message" % num)
            v, i = data[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def one(d, num, default=0):
    return d.get(num, [default])[-1]
