"""HTTP and websocket routes: the only place that wires FastAPI to the rest."""
