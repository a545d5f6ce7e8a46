/* int80 N: makes N i386 getpid calls (nr 20) through int $0x80 from a 64-bit process,
   and N native getppid calls. Expected: i386:getpid N, getppid N. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10;
  for (long i = 0; i < n; i++) {
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20) : "memory");
    if (ret <= 0) return 1;
    syscall(SYS_getppid);
  }
  return 0;
}
