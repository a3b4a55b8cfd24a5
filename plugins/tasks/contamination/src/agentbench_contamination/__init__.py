"""A data contamination probe for any installed agentbench task."""
