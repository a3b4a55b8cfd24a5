"""RealCritic critique loops (direct, self, cross, iterative) for agentbench."""
