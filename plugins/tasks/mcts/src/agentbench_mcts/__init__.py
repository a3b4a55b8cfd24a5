"""MCTS-DPO step-level preference collection for agentbench."""
