/* threads N M: N threads each call getppid() M times; the main thread calls getpid() once per thread.
   Expected: getppid = N*M, getpid = N, and N thread creations (clone or clone3). */
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static long per_thread;

static void *work(void *arg) {
  (void)arg;
  for (long i = 0; i < per_thread; i++) syscall(SYS_getppid);
  return NULL;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4;
  per_thread = argc > 2 ? atol(argv[2]) : 1000;
  pthread_t t[64];
  for (int i = 0; i < n && i < 64; i++) {
    syscall(SYS_getpid);
    pthread_create(&t[i], NULL, work, NULL);
  }
  for (int i = 0; i < n && i < 64; i++) pthread_join(t[i], NULL);
  return 0;
}
