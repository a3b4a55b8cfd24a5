"""HumanEval Pro, MBPP Pro and BigCodeBench-Lite Pro for agentbench"""
