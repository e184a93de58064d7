"""Propagation: every change reaches every destination. The outbox (Delivery rows
written in the change's transaction), the relay that publishes them after commit,
the delivery life cycle with retries and dead letters, the transports (one module
per destination kind) and webhook signatures. Part of the preferences app (its
models are `preferences.models`)."""
