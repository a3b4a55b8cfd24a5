"""`python -m agentbench.fakeservers`."""

from agentbench.fakeservers import main

main()
