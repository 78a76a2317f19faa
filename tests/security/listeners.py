"""TCP listeners of one process tree, from ``ss -ltnp`` (the tests' view of "what is exposed")."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|\[::ffff:127\.\d+\.\d+\.\d+\]|\[::1\]|::1|localhost):\d+$")


def have_ss() -> bool:
    return shutil.which("ss") is not None


def process_tree(root_pid: int) -> set[int]:
    """``root_pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = set(), [root_pid]
    while todo:
        p = todo.pop()
        if p not in out:
            out.add(p)
            todo += children.get(p, [])
    return out


def listeners(pids: set[int]) -> list[tuple[str, str]]:
    """(local address, process) of every listening TCP socket owned by ``pids``."""
    res = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, timeout=30)
    out = []
    for line in res.stdout.splitlines():
        owners = {int(x) for x in re.findall(r"pid=(\d+)", line)}
        if owners & pids:
            cols = line.split()
            name = re.search(r'\(\("([^"]+)"', line)
            out.append((cols[3], name.group(1) if name else "?"))
    return out


def exposed(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The listeners that are NOT on a loopback address."""
    return [(addr, proc) for addr, proc in found if not LOOPBACK.match(addr)]
