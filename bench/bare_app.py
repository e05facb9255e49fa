"""The yardstick: a bare FastAPI endpoint that reads the body and answers 200, nothing else."""

from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI()


@app.post("/webhooks")
async def bare(request: Request) -> Response:
    await request.body()
    return Response(status_code=200)


@app.get("/bare")
async def bare_read() -> dict[str, int]:
    """The read yardstick: what a GET costs with nothing behind it."""
    return {"points": 0}
