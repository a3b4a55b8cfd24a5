"""ClassEval and RepoClassBench (class-level code generation) for agentbench."""
