"""The ceiling: a bare FastAPI endpoint that parses a JSON body like submitNeed's and answers.

Started as its own uvicorn process (one worker) beside Khum in every benchmark run.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI()


@app.post("/echo")
async def echo(body: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"ok": True, "keys": len(body)}}


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
