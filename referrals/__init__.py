"""Referrals: codes, clicks, attribution, held rewards and fraud signals."""
