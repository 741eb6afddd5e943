"""A stand-in for the district's authenticating gateway, for the browser tests: it forwards
every request and the websocket to the cockpit and sets the user header on each (the
websocket's opening request included, which is where Streamlit reads headers), as a real
gateway (nginx with single sign-on) does after its own login."""

import threading
import time

import anyio
import requests
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "content-length",
              "content-encoding", "host", "sec-websocket-key", "sec-websocket-version",
              "sec-websocket-extensions", "sec-websocket-protocol"}


def _headers(incoming, header: str, user: str) -> dict:
    out = {k: v for k, v in incoming.items() if k.lower() not in HOP_BY_HOP
           and k.lower() != header.lower()}
    out[header] = user  # set, never passed through from the client
    return out


def start(upstream: str, port: int, header: str, user: str):
    """Serve the gateway on 127.0.0.1:`port` in a thread; returns a function that stops it."""

    async def forward(request: Request) -> Response:
        body = await request.body()
        got = await anyio.to_thread.run_sync(lambda: requests.request(
            request.method, upstream + request.url.path
            + (f"?{request.url.query}" if request.url.query else ""),
            headers=_headers(request.headers, header, user), data=body or None,
            allow_redirects=False, timeout=30))
        headers = {k: v for k, v in got.headers.items() if k.lower() not in HOP_BY_HOP}
        return Response(got.content, status_code=got.status_code, headers=headers)

    async def stream(ws: WebSocket) -> None:
        protocols = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",")
                     if p.strip()]
        target = upstream.replace("http", "ws", 1) + ws.url.path + (
            f"?{ws.url.query}" if ws.url.query else "")
        async with connect(target, subprotocols=protocols or None, max_size=None,
                           additional_headers=_headers(ws.headers, header, user)) as up:
            await ws.accept(subprotocol=up.subprotocol)

            async def down():
                async for message in up:
                    if isinstance(message, bytes):
                        await ws.send_bytes(message)
                    else:
                        await ws.send_text(message)

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(down)
                while True:
                    message = await ws.receive()
                    if message["type"] == "websocket.disconnect":
                        break
                    await up.send(message.get("bytes") or message.get("text"))
                tasks.cancel_scope.cancel()

    app = Starlette(routes=[WebSocketRoute("/_stcore/stream", stream),
                            Route("/{path:path}", forward,
                                  methods=["GET", "POST", "PUT", "DELETE", "HEAD"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)

    def stop():
        server.should_exit = True
        thread.join(5)

    return stop
