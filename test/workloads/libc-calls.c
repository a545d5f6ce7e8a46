/* libc-calls [noop]: calls a representative set of libc functions once each, so the syscalls
   its run makes can be checked against the import table (test/import-table.test.ts): every
   syscall made after main starts must be predicted by the binary's own imports.
   With "noop", main returns at once: that run's syscalls are the process start-up. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static void *volatile sink;

static void *worker(void *arg) {
  return arg;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "noop") == 0) return 0;
  char line[256];

  FILE *f = fopen("/etc/passwd", "r"); /* openat; fgets: fstat + read */
  if (f) {
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
  }

  DIR *d = opendir("/"); /* openat + fstat; readdir: getdents64 */
  if (d) {
    while (readdir(d)) {}
    closedir(d);
  }

  struct stat st;
  stat("/", &st);

  struct timespec ts = {0, 1000};
  nanosleep(&ts, NULL); /* clock_nanosleep on glibc 2.36 */

  pthread_t t; /* clone3, stack mmap/mprotect, rseq, set_robust_list, futex, madvise, exit */
  if (pthread_create(&t, NULL, worker, NULL) == 0) pthread_join(t, NULL);

  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bind(s, (struct sockaddr *)&addr, sizeof addr);
  getsockname(s, (struct sockaddr *)&addr, &len);
  listen(s, 1);
  close(s);

  struct addrinfo *ai; /* /etc/nsswitch.conf, /etc/hosts, nscd socket, netlink */
  if (getaddrinfo("localhost", "80", NULL, &ai) == 0) freeaddrinfo(ai);

  pid_t pid; /* clone3(CLONE_VM|CLONE_VFORK), signal resets, execve in the child */
  char *spawn_argv[] = {"true", NULL};
  if (posix_spawnp(&pid, "/bin/true", NULL, NULL, spawn_argv, environ) == 0) waitpid(pid, NULL, 0);

  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl); /* prlimit64 */

  int efd = eventfd(0, 0); /* eventfd2 */
  eventfd_write(efd, 1);
  eventfd_t value;
  eventfd_read(efd, &value);
  close(efd);

  int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec its = {{0, 0}, {0, 1000}};
  timerfd_settime(tfd, 0, &its, NULL);
  close(tfd);

  int fds[2];
  if (pipe(fds) == 0) { /* pipe2 */
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(fds[0], &rs);
    struct timeval tv = {0, 0};
    select(fds[0] + 1, &rs, NULL, NULL, &tv); /* pselect6 */
    struct pollfd p = {fds[0], POLLIN, 0};
    poll(&p, 1, 0);
    close(fds[0]);
    close(fds[1]);
  }

  pid = fork(); /* clone; the child: set_robust_list, exit_group */
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid(pid, NULL, 0);

  void *m = dlopen("libm.so.6", RTLD_NOW); /* already loaded by nothing: openat, mmap, mprotect ... */
  if (m) {
    double (*cosine)(double) = (double (*)(double))dlsym(m, "cos");
    if (cosine) snprintf(line, sizeof line, "%f", cosine(0.0));
    dlclose(m);
  }

  sink = malloc(1 << 20); /* mmap; free: munmap (the volatile sink keeps gcc from eliding the pair) */
  free(sink);

  printf("done %d\n", getpid()); /* fstat + ioctl on first use, write at exit */
  return 0;
}
