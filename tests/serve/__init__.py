"""Tests of the HTTP service (fake embedder; one test runs a real uvicorn process)."""
