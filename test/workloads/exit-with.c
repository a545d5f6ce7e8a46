/* exit-with CODE | exit-with -SIGNAL: exit with a code, or kill itself with a signal. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int v = argc > 1 ? atoi(argv[1]) : 0;
  if (v < 0) {
    signal(-v, SIG_DFL);
    kill(getpid(), -v);
    pause();
  }
  return v;
}
