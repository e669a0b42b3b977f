"""Bounded decoding of a response body's ``Content-Encoding`` (gzip, deflate, and br when the installed
`brotli` can bound its output), for `_transport`.

A compressed body is small on the wire and may be huge once decoded (10 MB of zeros gzip to 10 KB; a
64 MiB gzip body can inflate to 64 GiB). So a body is decoded as it arrives, and every decoder step yields
at most `CHUNK` bytes (zlib's ``max_length``, brotli's ``output_buffer_limit``): whoever counts the pieces
can stop at a limit while memory holds one piece, never the whole inflation. Chained encodings
(``gzip, gzip``) are decoded stage by stage, lazily, with the same bound at each stage.

An encoding we cannot decode with a bound (zstd, an unknown name, br with an old brotli) is refused: we never
ask for one (`ACCEPT_ENCODING`), and passing it on would let httpx inflate it unbounded.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

__all__ = ["CHUNK", "ACCEPT_ENCODING", "BodyDecoder", "DecodeError", "UnsupportedEncoding", "body_decoder"]

CHUNK = 64 * 1024
"""The most one decoding step produces (and the size the wire reads the body in)."""


class DecodeError(ValueError):
    """The body is not valid for its Content-Encoding."""


class UnsupportedEncoding(ValueError):
    """The body has a Content-Encoding that cannot be decoded with a bound."""


class _Stage(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...


class _Zlib:
    """gzip (``wbits`` 16+15) or deflate: zlib-wrapped per RFC 9110, raw deflate as some servers send it
    (told apart by the zlib header, as browsers and httpx do)."""

    def __init__(self, *, gzip: bool) -> None:
        self._gzip = gzip
        self._head = b""
        self._inflate: Any = zlib.decompressobj(zlib.MAX_WBITS | 16) if gzip else None

    def _start(self, data: bytes) -> bytes:
        """For deflate: keep the first two bytes until the zlib header can be checked."""
        if self._inflate is not None:
            return data
        self._head += data
        if len(self._head) < 2:
            return b""
        first, second = self._head[0], self._head[1]
        wrapped = first & 0x0F == 8 and (first << 8 | second) % 31 == 0
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        data, self._head = self._head, b""
        return data

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data``, each at most `CHUNK` bytes."""
        pending = self._start(data)
        if self._inflate is None or not pending:
            return
        while True:
            try:
                out = self._inflate.decompress(pending, CHUNK)
            except zlib.error as exc:
                raise DecodeError(f"invalid {'gzip' if self._gzip else 'deflate'} data: {exc}") from None
            if out:
                yield out
            pending = self._inflate.unconsumed_tail
            if not pending and len(out) < CHUNK:
                return

    def finish(self) -> Iterator[bytes]:
        """What a body of under two bytes decodes to (every other byte was decoded by `feed`)."""
        if self._inflate is None and self._head:
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            head, self._head = self._head, b""
            yield from self.feed(head)


def _bounded_brotli() -> Any | None:
    """The `brotli` module when it can bound a decoding step's output (1.2+), else None."""
    try:
        brotli: Any = importlib.import_module("brotli")  # optional, and without type hints
    except ImportError:
        return None
    try:
        brotli.Decompressor().process(b"", output_buffer_limit=1)
    except (TypeError, AttributeError, brotli.error):
        return None
    return brotli


_BROTLI = _bounded_brotli()


class _Brotli:
    def __init__(self) -> None:
        assert _BROTLI is not None
        self._decompressor = _BROTLI.Decompressor()

    def _drain(self, data: bytes, done: Callable[[], bool]) -> Iterator[bytes]:
        assert _BROTLI is not None
        try:
            out = self._decompressor.process(data, output_buffer_limit=CHUNK)
            if out:
                yield out
            while not done():
                out = self._decompressor.process(b"", output_buffer_limit=CHUNK)
                if not out:
                    return
                yield out
        except _BROTLI.error as exc:
            raise DecodeError(f"invalid br data: {exc}") from None

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data``, each about `CHUNK` bytes at most (the limit stops the growth of
        brotli's output buffer, which may overshoot it by one step)."""
        return self._drain(data, self._decompressor.can_accept_more_data)

    def finish(self) -> Iterator[bytes]:
        """The output brotli still holds once all input was fed."""
        return self._drain(b"", self._decompressor.is_finished)


_DECODERS: dict[str, type[_Zlib] | type[_Brotli]] = {"gzip": _Zlib, "x-gzip": _Zlib, "deflate": _Zlib}
if _BROTLI is not None:
    _DECODERS["br"] = _Brotli

ACCEPT_ENCODING = ", ".join(("gzip", "deflate", *(("br",) if _BROTLI is not None else ())))
"""The Accept-Encoding the client sends: exactly what `body_decoder` decodes with a bound."""


class BodyDecoder:
    """Decodes one body through its encodings (last applied, first decoded), piece by bounded piece."""

    def __init__(self, stages: list[_Stage]) -> None:
        self._stages = stages

    @property
    def identity(self) -> bool:
        """True when the body is sent as it is (no Content-Encoding to undo)."""
        return not self._stages

    def _through(self, index: int, pieces: Iterable[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            if index == len(self._stages):
                yield piece
            else:
                yield from self._through(index + 1, self._stages[index].feed(piece))

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of the next ``data`` of the body. Raises `DecodeError`."""
        return self._through(0, (data,))

    def finish(self) -> Iterator[bytes]:
        """The last decoded pieces, once the whole body was fed. Raises `DecodeError`."""
        for index, stage in enumerate(self._stages):
            yield from self._through(index + 1, stage.finish())


def body_decoder(content_encodings: Iterable[str]) -> BodyDecoder:
    """The decoder for a response's Content-Encoding header values (``identity`` and empty names skipped).
    Raises `UnsupportedEncoding` for any other encoding than gzip, deflate and (bounded) br."""
    names = [name.strip().lower() for value in content_encodings for name in value.split(",") if name.strip()]
    stages: list[_Stage] = []
    for name in reversed(names):
        if name == "identity":
            continue
        kind = _DECODERS.get(name)
        if kind is None:
            raise UnsupportedEncoding(f"unsupported Content-Encoding {name[:40]!r}")
        stages.append(_Zlib(gzip=name != "deflate") if kind is _Zlib else _Brotli())
    return BodyDecoder(stages)
