"""Retention CRM: customers' history, RFM, lifecycle, journeys, messages, experiments (a later issue)."""
