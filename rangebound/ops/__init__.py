"""Chain-facing operations: deploying the system and its deployment records, the keeper, reading
risk and exposure from a venue."""
