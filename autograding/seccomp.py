"""The system calls a sandboxed run may not make, as a seccomp filter for bwrap.

Namespaces stop the submitted code from reaching the server; what is left is the kernel
itself. Creating user namespaces (``unshare -Ur`` worked inside a run) and the other
calls below open the kernel paths most local privilege escalations go through, and no
test needs them. bwrap installs the filter just before it starts the launcher, so it
holds every process of the run.

Built with libseccomp (Debian's ``libseccomp2``, which apt itself needs) through ctypes:
a few calls of its stable C interface, no package of our own on the workers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os

ALLOW = 0x7FFF0000  # SCMP_ACT_ALLOW
CMP_MASKED_EQ = 7  # SCMP_CMP_MASKED_EQ: (argument & mask) == value

# Refused outright, with EPERM, as a kernel without them would.
REFUSED = (
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    # Memory held through a file descriptor, never mapped, escapes the run's memory
    # limit (RLIMIT_AS, the worker's count of the processes' memory): a run held
    # 2.4 GB against a 512 MB limit, enough to get the server's processes killed.
    "memfd_create",
    "memfd_secret",
    # The same through System V shared memory and message queues: a segment no process
    # has attached held 2 GB against a 512 MB limit until the run ended.
    "shmget",
    "msgget",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "open_by_handle_at",
    "kexec_load",
    "init_module",
    "finit_module",
    "delete_module",
)
# clone() creating any namespace: refused; a plain fork or thread goes through. Linux's
# values (<sched.h>), written out: os.CLONE_* exist only on Linux, and this module is
# imported wherever the site runs.
NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)


class SeccompUnavailable(Exception):
    """libseccomp is missing on this machine."""


class _ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def _errno_action(number: int) -> int:
    return 0x00050000 | (number & 0xFFFF)  # SCMP_ACT_ERRNO(number)


def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        library = ctypes.CDLL(name, use_errno=True)
    except OSError as exc:
        raise SeccompUnavailable(
            "libseccomp is not installed on this worker: apt-get install libseccomp2"
        ) from exc
    library.seccomp_init.restype = ctypes.c_void_p
    library.seccomp_init.argtypes = [ctypes.c_uint32]
    library.seccomp_release.argtypes = [ctypes.c_void_p]
    library.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    library.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    library.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return library


def filter_fd() -> int:
    """Return a file descriptor holding the compiled filter (BPF), read from its start.

    The caller passes it to bwrap (``--seccomp FD``) and closes it afterwards.
    """
    fd = os.memfd_create("autograding-seccomp", os.MFD_CLOEXEC)
    try:
        os.write(fd, _program())
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


@functools.cache
def _program() -> bytes:
    """The filter compiled to BPF: the same for every run, built once per process."""
    library = _library()
    context = library.seccomp_init(ALLOW)
    if not context:
        raise SeccompUnavailable("seccomp_init failed")
    try:

        def refuse(name: str, action: int, *conditions: _ArgCmp) -> None:
            number = library.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                return  # not a system call of this architecture
            array = (_ArgCmp * len(conditions))(*conditions) if conditions else None
            status = library.seccomp_rule_add_array(context, action, number, len(conditions), array)
            if status < 0:
                raise SeccompUnavailable(f"seccomp rule for {name}: {os.strerror(-status)}")

        for name in REFUSED:
            refuse(name, _errno_action(errno.EPERM))
        for flag in NAMESPACE_FLAGS:
            refuse("clone", _errno_action(errno.EPERM), _ArgCmp(0, CMP_MASKED_EQ, flag, flag))
        # clone3 passes its flags in memory, out of a filter's reach: "not implemented"
        # makes the C library fall back to clone(), which the rules above see.
        refuse("clone3", _errno_action(errno.ENOSYS))
        fd = os.memfd_create("autograding-seccomp-export", os.MFD_CLOEXEC)
        try:
            status = library.seccomp_export_bpf(context, fd)
            if status < 0:
                raise SeccompUnavailable(f"seccomp_export_bpf: {os.strerror(-status)}")
            return os.pread(fd, os.fstat(fd).st_size, 0)
        finally:
            os.close(fd)
    finally:
        library.seccomp_release(context)
