# Runs a command on a pseudo-terminal of a given size, as a user's terminal would, for tests of what the
# command draws there. Its output (escape sequences and all) is copied to stdout as it comes. Lines on stdin
# act on the terminal: `resize ROWS COLS` (the kernel sends the command SIGWINCH), `intr` (types Ctrl-C: the
# terminal sends SIGINT to the command's process group). Exits with the command's exit status (128+N for a
# signal N).
import fcntl
import os
import pty
import select
import struct
import sys
import termios


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))


def main():
    rows, cols, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    pid, master = pty.fork()
    if pid == 0:
        set_size(0, rows, cols)
        os.execvp(argv[0], argv)
    out = sys.stdout.buffer
    inputs = [master, sys.stdin.fileno()]
    pending = b''
    while True:
        ready, _, _ = select.select(inputs, [], [])
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b''
            if not data:
                break
            out.write(data)
            out.flush()
        if sys.stdin.fileno() in ready:
            chunk = os.read(sys.stdin.fileno(), 4096)
            if not chunk:
                inputs.remove(sys.stdin.fileno())
                continue
            pending += chunk
            while b'\n' in pending:
                line, pending = pending.split(b'\n', 1)
                words = line.decode().split()
                if words[:1] == ['resize']:
                    set_size(master, int(words[1]), int(words[2]))
                elif words[:1] == ['intr']:
                    os.write(master, b'\x03')
    _, status = os.waitpid(pid, 0)
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


main()
