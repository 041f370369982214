"""The box's websocket protocol writes a message's ready frame (`edge.runtime.server`): an
event sent to hundreds of sockets is framed once."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode

from edge.runtime.server import FRAME, text_message
from tests.live import serve


async def _send_both(websocket: WebSocket) -> None:
    """One message whose text and frame differ: which of them the client gets tells the way."""
    await websocket.accept()
    frame = Frame(Opcode.TEXT, b"the frame").serialize(mask=False)
    await websocket.send({"type": "websocket.send", "text": "the text", FRAME: frame})
    await websocket.send(text_message("é" * 70_000))  # a 64-bit length
    await websocket.close()


APP = Starlette(routes=[WebSocketRoute("/ws", _send_both)])


async def test_a_ready_frame_is_written_as_it_is():
    with serve(APP) as url:
        async with connect(url.replace("http", "ws", 1) + "/ws") as ws:
            assert await ws.recv() == "the frame"
            assert await ws.recv() == "é" * 70_000


async def test_a_compressed_socket_gets_the_text():
    """permessage-deflate (off on the box) frames each socket's messages its own way."""
    with serve(APP, ws_per_message_deflate=True) as url:
        async with connect(url.replace("http", "ws", 1) + "/ws") as ws:
            assert ws.protocol.extensions  # the client asked for it, and got it
            assert await ws.recv() == "the text"
            assert await ws.recv() == "é" * 70_000
