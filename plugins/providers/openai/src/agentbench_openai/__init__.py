"""OpenAI Chat Completions provider for agentbench: `openai/<model>`, any compatible server."""
