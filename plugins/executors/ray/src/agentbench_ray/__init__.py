"""agentbench-runner-ray: run a plan's episodes on a Ray cluster (`--executor ray`).

Nothing is imported here: the plugin's entry point (`agentbench_ray.plugin`) must stay cheap for
every `agentbench` command; import `agentbench_ray.executor.RayExecutor` where it is needed.
"""
