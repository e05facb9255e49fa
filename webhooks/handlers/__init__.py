"""One handler per topic: each parses its payload; effect handlers also call the domain, while order
topics only translate and the dispatcher (webhooks/dispatch.py) applies them in batches."""
