"""Quant library: option pricing (Black-Scholes, Black-76, quanto, truncated and clamped range
models, implied volatility) and price paths. No chain, no ape."""
