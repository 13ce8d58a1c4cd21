"""`stylelite serve`: live stylized video in a browser (FastAPI + uvicorn, frames over a WebSocket).

config.py (what to serve, where, with which token) · auth.py (token, Host and Origin checks) ·
uploads.py (size- and content-checked clip/model uploads) · wire.py (JPEG frames and their headers) ·
live.py (the model, style and clip that every connection renders) · app.py (the HTTP and WebSocket
routes) · server.py (binding and running uvicorn) · cli.py · static/index.html (the page).
FastAPI and uvicorn are the `serve` extra and are imported only here, never by the rest of runtime/.
"""
