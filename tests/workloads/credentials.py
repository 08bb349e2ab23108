"""Changes its effective user and group with each credential call libsinsp
follows (tests/credentials.rs), a stat of /tmp/credmark-N after each."""
import os


def mark(n):
    try:
        os.stat("/tmp/credmark-%d" % n)
    except OSError:
        pass


mark(1)
os.setresgid(-1, 65534, -1)
mark(2)
os.setresuid(-1, 65534, -1)
mark(3)
os.setresuid(-1, 0, -1)
mark(4)
os.setresuid(-1, -1, -1)  # libs 0.23 takes the -1 as the uid
mark(5)
os.setreuid(-1, 1)
mark(6)
os.setreuid(-1, 0)
os.setregid(-1, 2)
mark(7)
os.setgid(3)
mark(8)
os.setuid(2)
mark(9)
