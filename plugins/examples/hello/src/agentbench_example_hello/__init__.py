"""A small example task plugin (the README's plugin guide)"""
