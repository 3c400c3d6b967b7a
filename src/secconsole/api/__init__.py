"""`secconsole serve-api`: the HTTP API that companion apps on phones speak to answer mobile app
prompts (docs/push-protocol.md). A thin aiohttp layer over ``core.methods.push_device.DeviceSide``:
every core call runs in a worker thread, never on the event loop."""
