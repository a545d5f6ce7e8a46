/*
 * A program whose call graph is known, for the static hints' reachability (test/reach.test.ts):
 * fork is only in a function nothing calls or points at; mlockall only in a signal handler
 * whose address main passes to signal(); chroot only behind a table of function pointers in
 * data; system() (which runs /bin/sh) is called by main unless SHELL_UNREACHABLE, when the
 * "/bin/sh" string and execl() are only in a function nothing reaches.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) void never_called(void) {
  if (fork() == 0) _exit(0);
}

static void on_signal(int sig) {
  (void)sig;
  mlockall(MCL_CURRENT);
}

__attribute__((noinline)) static int enter_root(const char *path) { return chroot(path); }
__attribute__((noinline)) static int show(const char *path) { return puts(path); }
static int (*const table[])(const char *) = { enter_root, show };

#ifdef SHELL_UNREACHABLE
__attribute__((noinline)) void spawn_never(void) { execl("/bin/sh", "sh", "-c", "true", (char *)0); }
#endif

int main(int argc, char **argv) {
  signal(SIGUSR1, on_signal);
  if (argc > 2) return table[argc & 1](argv[1]);
#ifndef SHELL_UNREACHABLE
  if (argc > 1) return system(argv[1]);
#endif
  puts("done");
  return 0;
}
