"""Live job progress: the WebSocket a client watches, the event log it catches up from, and
the hooks a worker calls to publish status and progress to the channel layer."""
