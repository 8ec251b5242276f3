"""One kubectl command in its sandbox: start it, stream its output, end it at its limits.

stdout and stderr share one pipe, so they come interleaved the way a terminal shows them. The
command ends on its own, at the time limit, at the output cap, on `stop()`, or when whoever
reads the events goes away; in every case but the first its processes are killed, and the
events end once they are gone.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import fcntl
import json
import logging
import os
import signal
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from challenges.console.runnerd.protocol import RunRequest, event_line
from challenges.console.runnerd.sandbox import Launch, Sandbox

logger = logging.getLogger("breakfix.console.runner")

READ_SIZE = 64 * 1024
SETUP_SECONDS = 10.0  # bwrap builds the sandbox in milliseconds; this is a bound, not a wait
REAP_SECONDS = 5.0


@dataclass(frozen=True)
class Outcome:
    exit_code: int | None  # None when the runner ended the command
    timed_out: bool
    truncated: bool
    stopped: bool
    duration_ms: int


def _kubeconfig_pipe(kubeconfig: str) -> int:
    """A pipe holding the whole kubeconfig, closed for writing: kubectl (or bwrap) reads it once.

    Nothing is written to disk; a second reader (another process of the same uid opening
    /proc/<pid>/fd/N) finds the pipe drained.
    """
    data = kubeconfig.encode()
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    try:
        if len(data) > 60_000:  # above the default pipe buffer: make room, so the write cannot block
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, len(data) + 4096)
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view) :]
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    return read_end


class Command:
    """A running command; `events()` drives it and yields its NDJSON lines."""

    def __init__(self, request: RunRequest, sandbox: Sandbox) -> None:
        self.request = request
        self.sandbox = sandbox
        self.process: asyncio.subprocess.Process | None = None
        self.child_pid: int | None = None  # bwrap's pid 1 of the sandbox, in the runner's view
        self.stopped = False
        self._wake = asyncio.Event()

    def stop(self) -> None:
        """Ask the command to end; `events()` kills it and reports `stopped`."""
        self.stopped = True
        self._wake.set()

    async def _terminate(self) -> None:
        """Kill everything the command started and wait until it is gone."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        # The sandbox's pid 1 first: its PID namespace dies with it, every process in there,
        # and the bwrap outside, its parent, reaps it and exits. Then (or when that did not
        # happen in a moment) the process group we started: kubectl itself in the container
        # sandbox, bwrap in the other.
        if self.child_pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.child_pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 1.0)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        try:
            await asyncio.wait_for(process.wait(), REAP_SECONDS)
        except TimeoutError:  # pragma: no cover - SIGKILL does not wait
            logger.error("command %s: process %d survived SIGKILL", self.request.id, process.pid)

    async def _start(self, launch: Launch) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *launch.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT if self.request.with_stderr else asyncio.subprocess.DEVNULL,
            env=launch.env,
            cwd=launch.cwd,
            pass_fds=launch.pass_fds,
            start_new_session=True,  # a group of its own, so one kill takes it all
            user=launch.user,
            group=launch.group,
            extra_groups=[] if launch.user is not None else None,
            limit=READ_SIZE,
        )

    async def _child_pid(self, info_fd: int) -> None:
        """Read bwrap's {"child-pid": N}; EOF without it means the sandbox never came up."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(info_fd, "rb", buffering=0)
        )
        try:
            data = await asyncio.wait_for(reader.read(), SETUP_SECONDS)
        finally:
            transport.close()
        with contextlib.suppress(ValueError):
            pid = json.loads(data or b"{}").get("child-pid")
            self.child_pid = pid if isinstance(pid, int) and pid > 1 else None

    async def events(self) -> AsyncGenerator[bytes]:
        request = self.request
        started = time.monotonic()
        deadline = started + request.timeout_seconds
        yield event_line("started", id=request.id)
        kubeconfig_fd = _kubeconfig_pipe(request.kubeconfig)
        launch: Launch | None = None
        try:
            launch = self.sandbox.launch(request.args, kubeconfig_fd=kubeconfig_fd)
            try:
                await self._start(launch)
            finally:
                for fd in launch.pass_fds:  # the child has its copies now
                    os.close(fd)
                kubeconfig_fd = -1
            if launch.info_fd is not None:
                info_fd, launch.info_fd = launch.info_fd, None
                await self._child_pid(info_fd)
            outcome = None
            async for line in self._stream(deadline, started):
                if isinstance(line, Outcome):
                    outcome = line
                else:
                    yield line
            assert outcome is not None
            yield event_line(
                "exit",
                exit_code=outcome.exit_code,
                timed_out=outcome.timed_out,
                truncated=outcome.truncated,
                stopped=outcome.stopped,
                duration_ms=outcome.duration_ms,
            )
            verb = next((word for word in request.args if not word.startswith("-")), "")
            logger.info(
                "command %s: %r, exit %s, %d ms%s%s%s",
                request.id,
                verb[:40],  # repr: a learner's word cannot forge a log line
                outcome.exit_code,
                outcome.duration_ms,
                ", timed out" if outcome.timed_out else "",
                ", truncated" if outcome.truncated else "",
                ", stopped" if outcome.stopped else "",
            )
        finally:
            # Reached on every path, a reader that went away (GeneratorExit, cancellation) too.
            if kubeconfig_fd >= 0:
                os.close(kubeconfig_fd)
            if launch is not None and launch.info_fd is not None:
                os.close(launch.info_fd)
            # The reader went away, or something failed: nothing may outlive the command.
            await self._terminate()
            if launch is not None:
                self.sandbox.finished(launch)

    async def _stream(self, deadline: float, started: float) -> AsyncGenerator[bytes | Outcome]:
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        limit = self.request.output_limit
        size = 0
        timed_out = truncated = False
        while not self.stopped:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            reading = asyncio.ensure_future(stdout.read(READ_SIZE))
            woken = asyncio.ensure_future(self._wake.wait())
            try:
                done, _ = await asyncio.wait(
                    {reading, woken}, timeout=left, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                woken.cancel()
                if not reading.done():
                    reading.cancel()
            if reading not in done:
                continue  # stopped, or at the deadline: the loop's condition decides
            chunk = reading.result()
            if not chunk:
                break
            if size + len(chunk) > limit:
                chunk = chunk[: limit - size]
                truncated = True
            size += len(chunk)
            text = decoder.decode(chunk, final=truncated)
            if text:
                yield event_line("output", data=text)
            if truncated:
                break
        tail = decoder.decode(b"", final=True)
        if tail:
            yield event_line("output", data=tail)
        ended_by_runner = timed_out or truncated or self.stopped
        if ended_by_runner:
            await self._terminate()
        exit_code = await self._reap()
        yield Outcome(
            exit_code=None if ended_by_runner else exit_code,
            timed_out=timed_out,
            truncated=truncated,
            stopped=self.stopped and not (timed_out or truncated),
            duration_ms=int((time.monotonic() - started) * 1000),
        )

    async def _reap(self) -> int | None:
        """The exit code of a command that ended by itself; killed when it does not exit after its output."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            try:
                await asyncio.wait_for(process.wait(), REAP_SECONDS)
            except TimeoutError:
                await self._terminate()
        return process.returncode
