"""Development tools: gas bench (scenario and profiler), market simulation, demo report, local
anvil node, ABI export and the Solidity compiler used by the integrator tests."""
