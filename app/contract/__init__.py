"""The machine-readable contract of the service.

`openapi` builds the OpenAPI 3.1 document of every HTTP endpoint from the
declarations next to each handler (`app/web/*.py`); `schemas` holds the JSON
Schemas of the response bodies built in `app/web/shapes.py`; `frames` holds the
JSON Schemas of the WebSocket frames. Nothing here imports Starlette.
"""
