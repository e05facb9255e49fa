"""Points program: the append-only ledger, earn and reversal rules, VIP tiers, the merchant's program."""
