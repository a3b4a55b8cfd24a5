"""Anthropic Messages provider for agentbench"""
