/* own-filter N: installs its own seccomp filter that makes getppid fail with EPERM
   (and allows everything else), then calls getppid N times and getpid N times.
   Expected: getppid N calls, all N denied by its own filter with ERRNO(EPERM); getpid N. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10;
  struct sock_filter insns[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { .len = sizeof insns / sizeof insns[0], .filter = insns };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) { perror("prctl"); return 2; }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) { perror("seccomp"); return 2; }
  long denied = 0;
  for (long i = 0; i < n; i++) if (syscall(SYS_getppid) == -1 && errno == EPERM) denied++;
  for (long i = 0; i < n; i++) syscall(SYS_getpid);
  printf("denied=%ld\n", denied);
  return denied == n ? 0 : 1;
}
