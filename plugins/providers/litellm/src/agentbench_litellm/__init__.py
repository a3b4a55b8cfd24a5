"""LiteLLM provider for agentbench"""
