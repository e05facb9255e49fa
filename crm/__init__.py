"""Retention CRM: the shop's customers and orders kept current from webhooks (later: RFM, lifecycle,
journeys, messages, experiments)."""
