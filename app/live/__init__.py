"""The runtime: worker processes that own the models, admission, pacing and backpressure."""
