"""A minimal text extraction for the PDFs reportlab writes with the standard fonts (tests only).

Decodes every content stream (plain, FlateDecode, or ASCII85 + FlateDecode), takes the string operands
of the text operators and undoes PDF string escapes and the WinAnsi (cp1252) encoding.
"""

import base64
import re
import zlib

STREAM = re.compile(rb"<<(?P<dict>(?:(?!>>\s*stream).)*?)>>\s*stream\r?\n(?P<data>.*?)\r?\n?endstream", re.S)
STRING = re.compile(rb"\((?P<text>(?:\\.|[^\\)])*)\)\s*Tj")
ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)
SIMPLE = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _decode_stream(header: bytes, data: bytes) -> bytes:
    if b"ASCII85Decode" in header:
        data = data.strip()
        data = data[2:] if data.startswith(b"<~") else data
        data = data[:-2] if data.endswith(b"~>") else data
        data = base64.a85decode(data)
    if b"FlateDecode" in header:
        data = zlib.decompress(data)
    return data


def _unescape(raw: bytes) -> bytes:
    def one(match):
        code = match.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return SIMPLE.get(code, code)

    return ESCAPE.sub(one, raw)


def content_streams(pdf: bytes) -> list[bytes]:
    streams = []
    for match in STREAM.finditer(pdf):
        try:
            header = match.group("dict").rsplit(b"<<", 1)[-1]  # the stream's own dictionary
            streams.append(_decode_stream(header, match.group("data")))
        except (ValueError, zlib.error):
            continue
    return streams


def pdf_strings(pdf: bytes) -> list[str]:
    """Every text run shown on the pages, in order."""
    found = []
    for stream in content_streams(pdf):
        for match in STRING.finditer(stream):
            found.append(_unescape(match.group("text")).decode("cp1252"))
    return found


def pdf_text(pdf: bytes) -> str:
    """The shown text, runs joined by spaces (line breaks of a paragraph become spaces too)."""
    return " ".join(" ".join(pdf_strings(pdf)).split())
