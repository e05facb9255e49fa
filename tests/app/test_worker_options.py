"""The worker's arq settings, as docs/architecture.md describes arq: short webhook job timeouts (a SIGKILLed
job is re-run only after its timeout plus 10 s), results kept briefly (dedupe lives in unique keys),
and every cron the product relies on registered."""

from __future__ import annotations

from app.worker import worker_options
from loyalty import service as loyalty_service
from webhooks.tasks import PROCESS_JOB


def test_webhook_jobs_time_out_quickly_and_results_are_not_the_dedupe(settings):
    options = worker_options(settings)
    functions = {f.name: f for f in options["functions"]}
    assert functions[PROCESS_JOB].timeout_s == settings.webhook_job_timeout_seconds
    assert settings.webhook_job_timeout_seconds <= 60
    assert options["job_timeout"] == settings.webhook_job_timeout_seconds
    assert options["keep_result"] <= 60
    assert loyalty_service.RECOMPUTE_SHOP_TIERS_JOB in functions


def test_the_crons_the_product_relies_on_are_registered(settings):
    crons = {c.name: c for c in worker_options(settings)["cron_jobs"]}
    assert set(crons) == {
        "webhooks.sweep_inbox",
        "shops.refresh_tokens",
        "shops.sync_unsynced",
        "webhooks.reconcile_orders",
        "loyalty.recompute_tiers",
        "privacy.forget_old",
        "loyalty.audit_balances",
    }
    # the sweeper runs several times a minute, the token refresh well inside a token's margin
    assert len(crons["webhooks.sweep_inbox"].second) >= 2
    assert len(crons["shops.refresh_tokens"].minute) >= 6
    # windowed tiers move every hour (a shop's new year starts at its own midnight)
    assert crons["loyalty.recompute_tiers"].hour is None
    # personal data is forgotten every hour, not once a day
    assert crons["privacy.forget_old"].hour is None
    # the ledger's invariant is audited every night
    assert crons["loyalty.audit_balances"].hour == 3
