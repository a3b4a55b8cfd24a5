"""OSWorld-style computer tasks on a container desktop for agentbench"""
