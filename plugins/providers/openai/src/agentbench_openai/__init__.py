"""OpenAI Chat Completions provider for agentbench"""
