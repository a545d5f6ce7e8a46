/* untraced-child HOW N: starts a child with CLONE_UNTRACED (HOW = clone or clone3, fork-like:
   no shared memory); the child calls getppid N times and exits 7 (9 if its copy of the flags,
   the clone3 struct or the clone register, changed); the parent prints how it ended and whether
   its own copy changed.
   Expected: "flags: as given" then "child: exit 7", and getppid N calls, traced or not. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FLAGS (CLONE_UNTRACED | SIGCHLD)

/* Raw clone, so the flags register (rdi, preserved by the syscall ABI) can be read back. */
static long clone_keeping_rdi(unsigned long *rdi_after) {
  long ret;
  unsigned long rdi = FLAGS;
  register long r10 __asm__("r10") = 0;
  register long r8 __asm__("r8") = 0;
  __asm__ volatile("syscall" : "=a"(ret), "+D"(rdi) : "a"(SYS_clone), "S"(0), "d"(0), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
  *rdi_after = rdi;
  return ret;
}

int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "clone";
  long n = argc > 2 ? atol(argv[2]) : 5;
  long child;
  int same;
  struct clone_args args = { .flags = CLONE_UNTRACED, .exit_signal = SIGCHLD };
  if (!strcmp(how, "clone3")) {
    child = syscall(SYS_clone3, &args, sizeof args);
    same = args.flags == CLONE_UNTRACED;
  } else {
    unsigned long rdi;
    child = clone_keeping_rdi(&rdi);
    same = rdi == FLAGS;
  }
  if (child < 0) { perror(how); return 2; }
  if (child == 0) {
    for (long i = 0; i < n; i++) syscall(SYS_getppid);
    _exit(same ? 7 : 9);
  }
  printf("flags: %s\n", same ? "as given" : "changed");
  int status;
  if (waitpid(child, &status, 0) != child) { perror("waitpid"); return 2; }
  if (WIFSIGNALED(status)) printf("child: killed by signal %d\n", WTERMSIG(status));
  else printf("child: exit %d\n", WEXITSTATUS(status));
  return 0;
}
