"""RepoClassBench's repository tools, as one script that runs inside the sandbox.

    python repo_tools.py --repo DIR --file REL_PATH --class-name NAME TOOL [ARG ...]

Tools (upstream: microsoft/repoclassbench, repotools/python_tools/__init__.py):
    get_imports SYMBOL               import statements for a symbol defined in the repository
    get_class_info CLASS             a class's signature, docstring, bases and members
    get_signature [CLASS] METHOD     a method's (or top-level function's) signature
    get_method_body [CLASS] METHOD   the same with its source
    get_related_snippets QUERY       RepoCoder windows (20 lines, stride 10) closest to QUERY
    get_relevant_code QUERY          functions and classes closest to QUERY

Upstream resolves names with jedi and tree-sitter and ranks snippets with UniXcoder embeddings;
here names come from the standard library's `ast` and snippets are ranked lexically with BM25
(the rank_bm25 package). Test files are left out, as are snippets naming the class being
generated. This file is standalone: it imports nothing from agentbench.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys

WINDOW_SIZE, SLIDING_SIZE, TOP_K = 20, 10, 3
NO_MATCH = "No matching results found!"


def python_files(repo):
    """Readable, non-test Python files under `repo`, as sorted relative paths."""
    found = []
    for root, dirs, files in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("tests", "test"))
        for name in files:
            if not name.endswith(".py") or name == "conftest.py":
                continue
            if name.startswith("test_") or name.endswith("_test.py"):
                continue
            path = os.path.join(root, name)
            try:
                with open(path, encoding="utf-8") as handle:
                    handle.read()
            except (OSError, UnicodeDecodeError):
                continue
            found.append(os.path.relpath(path, repo))
    return sorted(found)


def module_name(relative_path):
    """upstream's fetch_fqdn_from_filepath: `pkg/mod.py` -> `pkg.mod`."""
    path = relative_path.replace("__init__.py", "").strip("/")
    return path.replace("/", ".").replace(".py", "")


class Entity:
    """A class, a function or a method found in the repository."""

    def __init__(self, kind, name, fqdn, rel_path, node, source_lines, parent=None):
        self.kind, self.name, self.fqdn, self.rel_path = kind, name, fqdn, rel_path
        self.node, self.parent = node, parent
        self.source = "".join(source_lines[node.lineno - 1 : node.end_lineno])
        self.decorated_start = min(
            [d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno]
        )

    def signature(self):
        if self.kind == "class":
            bases = ", ".join(ast.unparse(b) for b in self.node.bases)
            return f"class {self.name}({bases}):" if bases else f"class {self.name}:"
        prefix = "async def" if isinstance(self.node, ast.AsyncFunctionDef) else "def"
        returns = f" -> {ast.unparse(self.node.returns)}" if self.node.returns else ""
        decorators = "".join(f"@{ast.unparse(d)}\n" for d in self.node.decorator_list)
        return f"{decorators}{prefix} {self.name}({ast.unparse(self.node.args)}){returns}:"

    def where(self):
        return f"Defined in `./{self.rel_path}` (line {self.node.lineno})"


def index(repo):
    """Every global class and function and every method of a global class."""
    entities = []
    for rel in python_files(repo):
        with open(os.path.join(repo, rel), encoding="utf-8") as handle:
            text = handle.read()
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        lines = text.splitlines(keepends=True)
        module = module_name(rel)
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                cls = Entity("class", node.name, f"{module}.{node.name}", rel, node, lines)
                entities.append(cls)
                for member in node.body:
                    if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        fqdn = f"{cls.fqdn}.{member.name}"
                        entities.append(
                            Entity("function", member.name, fqdn, rel, member, lines, cls)
                        )
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                entities.append(
                    Entity("function", node.name, f"{module}.{node.name}", rel, node, lines)
                )
    return entities


def _results(blocks):
    if not blocks:
        return NO_MATCH
    head = f"<Total {len(blocks)} result(s) found:>\n"
    return head + "".join(
        f"## Details about shortlisted result ID {i}:\n{block}\n" for i, block in enumerate(blocks)
    )


def get_class_info(entities, class_name):
    blocks = []
    for cls in entities:
        if cls.kind != "class" or class_name not in (cls.name, cls.fqdn):
            continue
        doc = ast.get_docstring(cls.node) or ""
        members = [e for e in entities if e.parent is cls]
        text = f"Class `{cls.fqdn}`. {cls.where()}\n{cls.signature()}\n"
        if doc:
            text += f'    """{doc}"""\n'
        if members:
            text += "Members:\n" + "".join(
                "    " + m.signature().replace("\n", "\n    ") + "\n" for m in members
            )
        blocks.append(text)
    return _results(blocks)


def _methods(entities, class_name, method_name):
    found = []
    for fn in entities:
        if fn.kind != "function" or method_name not in (fn.name, fn.fqdn):
            continue
        if fn.parent is None and class_name is None:
            found.append(fn)
        elif fn.parent is not None and class_name in (fn.parent.name, fn.parent.fqdn):
            found.append(fn)
    return found


def get_signature(entities, *names):
    class_name, method_name = (None, names[0]) if len(names) == 1 else names[:2]
    return _results(
        [
            f"`{fn.fqdn}`. {fn.where()}\n{fn.signature()}"
            for fn in _methods(entities, class_name, method_name)
        ]
    )


def get_method_body(entities, *names):
    class_name, method_name = (None, names[0]) if len(names) == 1 else names[:2]
    return _results(
        [
            f"`{fn.fqdn}`. {fn.where()}\n{fn.signature()}\n```python\n{fn.source}\n```"
            for fn in _methods(entities, class_name, method_name)
        ]
    )


def get_imports(entities, symbol, file_to_modify):
    """Import statements for `symbol`: a module of that name, or a global class or function."""
    here = module_name(file_to_modify)
    suggestions = []
    modules = sorted({e.rel_path for e in entities})
    for rel in modules:
        parts = module_name(rel).split(".")
        if parts[-1] == symbol:
            statement = (
                f"from {'.'.join(parts[:-1])} import {symbol}" if parts[:-1] else f"import {symbol}"
            )
            suggestions.append(f"`{statement}` (represents the module `{rel}`)")
    for entity in entities:
        if entity.parent is not None or entity.name != symbol:
            continue
        module = entity.fqdn.rsplit(".", 1)[0]
        statement = (
            "No import needed as the generated class and entity are in the same file"
            if module == here
            else f"from {module} import {symbol}"
        )
        suggestions.append(
            f"`{statement}` (represents a {entity.kind} in the module `{entity.rel_path}`)"
        )
    head = f"Import suggestions for `{symbol}`:\n"
    if not suggestions:
        return head + (
            "No suggestions found for this symbol within the repository. There might be some "
            "external library which you might need to use."
        )
    return head + "\n".join(f"* {s}" for s in suggestions)


def windows(repo, rel):
    """RepoCoder windows of one file: WINDOW_SIZE lines every SLIDING_SIZE lines."""
    with open(os.path.join(repo, rel), encoding="utf-8") as handle:
        lines = handle.readlines()
    out = []
    for low in range(0, len(lines), SLIDING_SIZE):
        high = min(low + WINDOW_SIZE, len(lines)) - 1
        out.append(
            {
                "file_path": rel,
                "spanning_lines": [low, high],
                "content": "".join(lines[low : high + 1]),
            }
        )
    return out


def _tokens(text):
    return [t.lower() for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\d+", text)]


def rank(snippets, query, top_k=TOP_K):
    """The `top_k` snippets best matching `query` by BM25 (Okapi)."""
    if not snippets:
        return []
    from rank_bm25 import BM25Okapi

    bm25 = BM25Okapi([_tokens(s["content"]) or ["<empty>"] for s in snippets])
    scores = bm25.get_scores(_tokens(query))
    order = sorted(range(len(snippets)), key=lambda i: (-scores[i], i))
    return [snippets[i] for i in order[:top_k]]


def context_string(snippets):
    """upstream's convert_snippet_arr_to_context_string."""
    if not snippets:
        return NO_MATCH
    body = "\n".join(
        f"<Snippet {i + 1}, derived from {s['file_path']} and lines ({s['spanning_lines']})>\n"
        f"```python\n{s['content']}\n```\n<End of snippet {i + 1}>"
        for i, s in enumerate(snippets)
    )
    return "#### Beginning of snippets ####\n" + body + "\n#### End of snippets ####"


def get_related_snippets(repo, class_name, query):
    snippets = [w for rel in python_files(repo) for w in windows(repo, rel)]
    snippets = [s for s in snippets if not class_name or class_name not in s["content"]]
    return context_string(rank(snippets, query))


def get_relevant_code(entities, class_name, query):
    snippets = [
        {
            "file_path": e.rel_path,
            "spanning_lines": [e.decorated_start - 1, e.node.end_lineno - 1],
            "content": e.source,
        }
        for e in entities
        if e.parent is None and not (class_name and class_name in e.source)
    ]
    return context_string(rank(snippets, query))


def run(argv):
    parser = argparse.ArgumentParser(prog="repo_tools.py")
    parser.add_argument("--repo", required=True)
    parser.add_argument("--file", required=True, help="the file the class is generated in")
    parser.add_argument("--class-name", default="")
    parser.add_argument("tool")
    parser.add_argument("args", nargs="*")
    opts = parser.parse_args(argv)
    repo, args = os.path.abspath(opts.repo), opts.args
    need = {"get_imports": 1, "get_class_info": 1, "get_signature": 1, "get_method_body": 1,
            "get_related_snippets": 1, "get_relevant_code": 1}  # fmt: skip
    if opts.tool not in need:
        return f"Unknown tool {opts.tool!r}. Tools: {', '.join(need)}"
    if len(args) < need[opts.tool]:
        return f"{opts.tool} needs {need[opts.tool]} argument(s)"
    if opts.tool == "get_related_snippets":
        return get_related_snippets(repo, opts.class_name, " ".join(args))
    entities = index(repo)
    if opts.tool == "get_relevant_code":
        return get_relevant_code(entities, opts.class_name, " ".join(args))
    if opts.tool == "get_imports":
        return get_imports(entities, args[0], opts.file)
    if opts.tool == "get_class_info":
        return get_class_info(entities, args[0])
    if opts.tool == "get_signature":
        return get_signature(entities, *args)
    return get_method_body(entities, *args)


if __name__ == "__main__":
    print(run(sys.argv[1:]))
