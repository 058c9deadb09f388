"""The HTTP server: the platform's REST API over the client layer (``annotask serve``).

Build the app with :func:`annotask.server.app.create_app`; FastAPI and Uvicorn come with the
``server`` extra (``pip install 'annotask[server]'``).
"""
