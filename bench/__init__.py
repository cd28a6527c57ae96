"""Benchmarks of Layerwise: `make bench` (= `layerwise bench` = `python -m bench.run`).

Step time is measured in-process; everything else with real websocket clients on loopback
against a real `python -m app serve` process that the benchmark starts and stops itself.
"""
