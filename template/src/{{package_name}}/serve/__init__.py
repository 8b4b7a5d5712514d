"""The online inference service: FastAPI app, authentication, metrics and the prediction log.

`python -m` this package (or `make serve`) runs it under uvicorn; every setting comes from the
environment (see settings.py), and credentials only ever from files mounted from Secrets.
"""
