"""RepoClassBench (microsoft/repoclassbench): generate a class inside a real repository.

The pure parts: data loading, placement of the generated class, scoring from a pytest JSON
report with upstream's feedback, the repository tools script that runs in the sandbox, and the
build context of a repository's sandbox image.
"""
