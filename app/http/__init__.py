"""The HTTP shell: the FastAPI application, its dependencies, error mapping and routes."""
