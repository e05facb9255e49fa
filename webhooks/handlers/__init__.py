"""One handler per topic: parse the payload, call one domain function."""
