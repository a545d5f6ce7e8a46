/*
 * Prints what a program can see of the world it was started in, one "key: value" per line,
 * so that a run under sbx can be compared with a bare run (test/transparency.test.ts).
 * Ids that differ between two runs by nature (pid, ttys' names) are printed as relations.
 * `--wait FIFO` first writes its pid to FIFO.pid and waits for a byte on FIFO (so that
 * `sbx learn --pid` can attach before it looks); `--out FILE` writes the report to FILE instead of stdout (a terminal's output).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;
/* where the report goes: stdout, or the --out file on an fd of its own */
static FILE *out;

static const char *kind(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFIFO: return "fifo";
    case S_IFCHR: return "chr";
    case S_IFREG: return "reg";
    case S_IFSOCK: return "sock";
    case S_IFDIR: return "dir";
    default: return "other";
  }
}

static void stdio_fd(int fd) {
  int flags = fcntl(fd, F_GETFL);
  struct stat st;
  if (flags < 0 || fstat(fd, &st) != 0) {
    fprintf(out, "fd%d: closed\n", fd);
    return;
  }
  fprintf(out, "fd%d: flags=0%o type=%s tty=%d\n", fd, flags, kind(st.st_mode), isatty(fd));
}

/* Every open fd but the one listing them. */
static void open_fds(void) {
  DIR *dir = opendir("/proc/self/fd");
  int own = dirfd(dir);
  char seen[1024] = "";
  int open_fd[1024];
  int n = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL && n < 1024) {
    if (entry->d_name[0] == '.') continue;
    int fd = atoi(entry->d_name);
    if (fd != own && (out == stdout || fd != fileno(out))) open_fd[n++] = fd;
  }
  closedir(dir);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (open_fd[j] < open_fd[i]) { int t = open_fd[i]; open_fd[i] = open_fd[j]; open_fd[j] = t; }
  for (int i = 0; i < n; i++) snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s%d", i ? "," : "", open_fd[i]);
  fprintf(out, "open fds: %s\n", seen);
  /* what the others are: a pipe, a file, ... and how open */
  for (int i = 0; i < n; i++) {
    if (open_fd[i] <= 2) continue;
    struct stat st;
    fstat(open_fd[i], &st);
    fprintf(out, "fd%d: flags=0%o type=%s cloexec=%d\n", open_fd[i], fcntl(open_fd[i], F_GETFL), kind(st.st_mode), (fcntl(open_fd[i], F_GETFD) & FD_CLOEXEC) != 0);
  }
}

static void signals(void) {
  sigset_t mask;
  sigprocmask(SIG_BLOCK, NULL, &mask);
  fprintf(out, "blocked:");
  for (int sig = 1; sig < 65; sig++) if (sigismember(&mask, sig) == 1) fprintf(out, " %d", sig);
  fprintf(out, "\nignored:");
  for (int sig = 1; sig < 65; sig++) {
    struct sigaction action;
    if (sigaction(sig, NULL, &action) == 0 && action.sa_handler == SIG_IGN) fprintf(out, " %d", sig);
  }
  fprintf(out, "\n");
}

static void limits(void) {
  static const struct { int resource; const char *name; } table[] = {
    {RLIMIT_AS, "as"}, {RLIMIT_CORE, "core"}, {RLIMIT_CPU, "cpu"}, {RLIMIT_DATA, "data"},
    {RLIMIT_FSIZE, "fsize"}, {RLIMIT_LOCKS, "locks"}, {RLIMIT_MEMLOCK, "memlock"},
    {RLIMIT_MSGQUEUE, "msgqueue"}, {RLIMIT_NICE, "nice"}, {RLIMIT_NOFILE, "nofile"},
    {RLIMIT_NPROC, "nproc"}, {RLIMIT_RSS, "rss"}, {RLIMIT_RTPRIO, "rtprio"},
    {RLIMIT_RTTIME, "rttime"}, {RLIMIT_SIGPENDING, "sigpending"}, {RLIMIT_STACK, "stack"},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    struct rlimit limit;
    getrlimit(table[i].resource, &limit);
    fprintf(out, "rlimit %s: %lld %lld\n", table[i].name, (long long)limit.rlim_cur, (long long)limit.rlim_max);
  }
}

static void session(void) {
  pid_t pid = getpid(), ppid = getppid(), pgid = getpgrp(), sid = getsid(0);
  fprintf(out, "ppid: %d\n", (int)ppid);
  fprintf(out, "group leader: %d, session leader: %d\n", pgid == pid, sid == pid);
  fprintf(out, "group of parent: %d, session of parent: %d\n", pgid == getpgid(ppid), sid == getsid(ppid));
  int tty = open("/dev/tty", O_RDONLY | O_NOCTTY);
  if (tty < 0) {
    fprintf(out, "controlling terminal: none\n");
    return;
  }
  pid_t foreground = tcgetpgrp(tty);
  fprintf(out, "controlling terminal: yes, foreground group is ours: %d, session's: %d\n", foreground == pgid, tcgetsid(tty) == sid);
  struct termios mode;
  if (tcgetattr(tty, &mode) == 0)
    fprintf(out, "termios: iflag=0%o oflag=0%o lflag=0%o\n", mode.c_iflag, mode.c_oflag, mode.c_lflag);
  close(tty);
}

/* TracerPid from /proc/self/status: whether someone ptraces us (anti-debugging code reads it). */
static int traced(void) {
  FILE *status = fopen("/proc/self/status", "r");
  char line[256];
  int tracer = 0;
  while (status && fgets(line, sizeof line, status)) sscanf(line, "TracerPid: %d", &tracer);
  if (status) fclose(status);
  return tracer != 0;
}

int main(int argc, char **argv) {
  out = stdout;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--wait") == 0) {
      char pid_file[4096];
      snprintf(pid_file, sizeof pid_file, "%s.pid", argv[i + 1]);
      FILE *announce = fopen(pid_file, "w");
      if (!announce) return 1;
      fprintf(announce, "%d\n", (int)getpid());
      fclose(announce);
      int fifo = open(argv[i + 1], O_RDONLY);
      char byte;
      while (read(fifo, &byte, 1) < 0 && errno == EINTR) {}
      close(fifo);
    } else if (strcmp(argv[i], "--out") == 0) {
      /* a file of its own (opened close-on-exec above the fds it reports), not the terminal sbx draws on */
      int fd = open(argv[i + 1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0 || (out = fdopen(fcntl(fd, F_DUPFD_CLOEXEC, 100), "w")) == NULL) return 1;
      close(fd);
    }
  }
  for (int fd = 0; fd < 3; fd++) stdio_fd(fd);
  open_fds();
  signals();
  limits();
  mode_t mask = umask(0);
  fprintf(out, "umask: 0%o\n", mask);
  char cwd[4096];
  fprintf(out, "cwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
  for (char **env = environ; *env; env++) fprintf(out, "env: %s\n", *env);
  session();
  cpu_set_t cpus;
  sched_getaffinity(0, sizeof cpus, &cpus);
  fprintf(out, "cpus: %d\n", CPU_COUNT(&cpus));
  fprintf(out, "no_new_privs: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  fprintf(out, "seccomp: %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
  fprintf(out, "traced: %d\n", traced());
  fprintf(out, "priority: %d\n", getpriority(PRIO_PROCESS, 0));
  fflush(out);
  return 0;
}
