"""The contract between edge and hub: ids, clocks, envelopes, signing and merge policy.

Imports nothing from `edge` or `hub`.
"""
