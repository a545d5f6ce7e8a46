/* own-filter-kill ACTION N [attach]: a child installs its own seccomp filter whose ACTION
   (kill-process, kill-thread or trap) answers getppid, calls getpid N times, then getppid once,
   which it does not survive; the parent prints how the child ended. With "attach", the child
   prints "child <pid>" once its filter is in place and waits for a tracer before its calls.
   Expected: "child: SIGSYS"; getpid N calls (+1 for the parent's own, none denied);
   getppid 1 call, denied by the child's own filter with KILL (kill-*) or TRAP. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Print our pid, then poll /proc/self/status until TracerPid is set (and let the tracer settle). */
static void wait_for_tracer(void) {
  printf("child %d\n", getpid());
  fflush(stdout);
  for (;;) {
    char status[4096];
    FILE *f = fopen("/proc/self/status", "r");
    size_t n = f ? fread(status, 1, sizeof status - 1, f) : 0;
    if (f) fclose(f);
    status[n] = 0;
    const char *tracer = strstr(status, "TracerPid:");
    if (tracer && atoi(tracer + 10) != 0) break;
    usleep(10000);
  }
  usleep(200000);
}

int main(int argc, char **argv) {
  const char *action = argc > 1 ? argv[1] : "kill-process";
  long n = argc > 2 ? atol(argv[2]) : 5;
  unsigned ret = !strcmp(action, "kill-thread") ? SECCOMP_RET_KILL_THREAD
               : !strcmp(action, "trap")        ? SECCOMP_RET_TRAP
                                                : SECCOMP_RET_KILL_PROCESS;
  syscall(SYS_getpid);
  pid_t child = fork();
  if (child < 0) { perror("fork"); return 2; }
  if (child == 0) {
    struct sock_filter insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, ret),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof insns / sizeof insns[0], .filter = insns };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) _exit(2);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) _exit(2);
    if (argc > 3 && !strcmp(argv[3], "attach")) wait_for_tracer();
    for (long i = 0; i < n; i++) syscall(SYS_getpid);
    syscall(SYS_getppid);
    _exit(3);
  }
  int status;
  if (waitpid(child, &status, 0) != child) { perror("waitpid"); return 2; }
  if (WIFSIGNALED(status)) printf("child: %s\n", WTERMSIG(status) == SIGSYS ? "SIGSYS" : "another signal");
  else printf("child: exit %d\n", WEXITSTATUS(status));
  return 0;
}
