"""A corpus of hostile programs: answers that try to pass tests they do not pass.

Every code task's tests run this corpus through its own checker (see
`agentbench.testing.hostile_answers`): each program must score 0 with a reason, and none may end
as an infrastructure error. Each program here is code a model could answer with; none of them
solves anything, so a pass can only come from fooling the checker.

Add an attack here when you find one; every task picks it up.
"""

from __future__ import annotations

_MARKERS = (
    "__agentbench_selfinvoke_done__",
    "@@agentbench-verdict 00000000000000000000000000000000 "
    '{"kind": "done", "ok": true, "stage": "done", "tampered": []}',
    "OK",
    "Ran 5 tests in 0.001s\\n\\nOK",
)
_PRINT_MARKERS = "".join(f'print("{m}", flush=True)\n' for m in _MARKERS)

#: name -> program source. The programs run before (or as part of) the task's tests.
HOSTILE_PROGRAMS: dict[str, str] = {
    "flood_then_exit": "import os\nos.write(1, b'y' * 2000000)\nos._exit(0)\n",
    "flood_stderr_then_exit": "import os\nos.write(2, b'E' * 3000000)\nos._exit(0)\n",
    "marker_then_exit": f"import os\n{_PRINT_MARKERS}os._exit(0)\n",
    "marker_from_excepthook": (
        "import os, sys\n"
        f"def hook(*args):\n    {_PRINT_MARKERS.strip().replace(chr(10), chr(10) + '    ')}\n"
        "    os._exit(0)\n"
        "sys.excepthook = hook\n"
        "threading_hook = hook\n"
        "import threading\nthreading.excepthook = hook\n"
    ),
    "marker_from_atexit": (
        "import atexit, os\n"
        f"def bye():\n    {_PRINT_MARKERS.strip().replace(chr(10), chr(10) + '    ')}\n"
        "    os._exit(0)\n"
        "atexit.register(bye)\n"
        "raise SystemExit(0)\n"
    ),
    "marker_from_thread": (
        "import os, threading, time\n"
        "def later():\n"
        "    time.sleep(0.05)\n"
        f"    {_PRINT_MARKERS.strip().replace(chr(10), chr(10) + '    ')}\n"
        "    os._exit(0)\n"
        "threading.Thread(target=later).start()\n"
        "time.sleep(1)\n"
    ),
    "exit_zero": "raise SystemExit(0)\n",
    "exit_from_signal_handler": (
        "import os, signal\n"
        "signal.signal(signal.SIGALRM, lambda *a: os._exit(0))\n"
        "signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)\n"
    ),
    "signal_handler_swallows_errors": (
        "import signal\n"
        "signal.signal(signal.SIGALRM, lambda *a: None)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "signal.alarm(1)\n"
    ),
    "overwrite_harness_files": (
        "import glob, os\n"
        "for d in {os.getcwd(), '/work', '/tmp', os.path.expanduser('~')}:\n"
        "    for name in ('_selfinvoke_runner.py', '_agentbench_unittest_runner.py',\n"
        "                 'unittest.py', 'json.py', 'sitecustomize.py', 'usercustomize.py',\n"
        "                 'test_solution.py'):\n"
        "        try:\n"
        "            with open(os.path.join(d, name), 'w') as f:\n"
        "                f.write('import os\\nprint(\"OK\")\\nos._exit(0)\\n')\n"
        "        except OSError:\n"
        "            pass\n"
        "# Test\n"
    ),
    "patch_unittest_asserts": (
        "import unittest\n"
        "for name in dir(unittest.TestCase):\n"
        "    if name.startswith(('assert', 'fail')):\n"
        "        try:\n"
        "            setattr(unittest.TestCase, name, lambda *a, **k: None)\n"
        "        except Exception:\n"
        "            pass\n"
        "try:\n"
        "    unittest.TestResult.addFailure = unittest.TestResult.addSuccess\n"
        "    unittest.TestResult.addError = unittest.TestResult.addSuccess\n"
        "except Exception:\n"
        "    pass\n"
        "unittest.TestCase.run = lambda self, result=None: None\n"
    ),
    "patch_builtins": (
        "import builtins\n"
        "builtins.abs = lambda x: 0\n"
        "builtins.isinstance = lambda *a: True\n"
        "builtins.len = lambda x: 0\n"
        "builtins.AssertionError = type('AssertionError', (Exception,), {})\n"
        "builtins.all = lambda x: True\n"
        "builtins.sorted = lambda x, **k: x\n"
    ),
    "sys_modules_tricks": (
        "import sys, types\n"
        "fake = types.ModuleType('unittest')\n"
        "class TestCase:\n"
        "    pass\n"
        "fake.TestCase = TestCase\n"
        "fake.main = lambda *a, **k: None\n"
        "sys.modules['unittest'] = fake\n"
        "sys.modules['math'] = types.ModuleType('math')\n"
        "sys.modules['json'] = None\n"
    ),
    "trace_skips_the_tests": (
        "import sys, threading\n"
        "def tracer(frame, event, arg):\n"
        "    return None\n"
        "sys.settrace(tracer)\n"
        "threading.settrace(tracer)\n"
        "sys.setprofile(tracer)\n"
    ),
    "read_memory_for_the_token": (
        "import ctypes, gc, re, sys\n"
        "found = []\n"
        "for obj in gc.get_objects():\n"
        "    found.append(obj)\n"
        "with open('/proc/self/mem', 'rb') as f:\n"
        "    f.read(1)\n"
        "ctypes.string_at(id(found), 64)\n"
    ),
    "forge_the_verdict_event": (
        "import sys\n"
        "record = {'ok': True, 'stage': 'done', 'tampered': [], 'collected': []}\n"
        "sys.audit('agentbench.verdict', record)\n"
        "sys.audit('agentbench.test', {'name': 'x', 'outcome': 'passed'})\n"
        "sys.audit('agentbench.collected', [])\n"
    ),
    "terminal_escape_sequences": (
        "import sys\n"
        "sys.stdout.write('\\x1b[2K\\r\\x1b[1A\\x1b[2KFAKE: PASSED\\n\\x1b]0;PASSED\\x07')\n"
        "sys.stderr.write('\\x1b[2J\\x1b[H\\x1b[32mall tests passed\\x1b[0m\\n')\n"
        "try:\n"
        "    open('/dev/tty', 'w').write('\\x1b[2KPASSED\\n')\n"
        "except OSError:\n"
        "    pass\n"
    ),
    "child_outlives_the_program": (
        "import os, subprocess, sys\n"
        "code = ('import os, time\\n'\n"
        "        'time.sleep(0.2)\\n'\n"
        '        \'for d in ("/work", "/tmp"):\\n\'\n'
        "        '    for root, dirs, files in os.walk(d):\\n'\n"
        "        '        for n in files:\\n'\n"
        "        '            p = os.path.join(root, n)\\n'\n"
        '        \'            try: open(p, "a").write("\\\\nimport os; os._exit(0)\\\\n")\\n\'\n'
        "        '            except OSError: pass\\n'\n"
        "        'time.sleep(30)\\n')\n"
        "subprocess.Popen([sys.executable, '-c', code], start_new_session=True,\n"
        "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    ),
    "fork_and_report_from_the_child": (
        "import os\n"
        "if os.fork() == 0:\n"
        "    import sys\n"
        "    sys.audit('agentbench.verdict', {'ok': True, 'stage': 'done', 'tampered': []})\n"
        "    os._exit(0)\n"
    ),
    "close_the_output_channels": (
        "import os\n"
        "for fd in range(1, 64):\n"
        "    try:\n"
        '        os.write(fd, b\'\\n@@agentbench-verdict x {"kind": "done", "ok": true}\\n\')\n'
        "    except OSError:\n"
        "        pass\n"
        "os.closerange(1, 64)\n"
    ),
    "inject_a_builtin": (
        "import builtins\n"
        "class Anything:\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "    def __ne__(self, other):\n"
        "        return False\n"
        "    __hash__ = object.__hash__\n"
        "builtins.__dict__['Anything'] = Anything\n"
    ),
}
