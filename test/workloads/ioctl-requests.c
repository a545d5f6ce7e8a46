/* ioctl on stdin (a terminal) with the requests named by argv[1], in order:
   T = TCGETS, F = FIONREAD, W = TIOCGWINSZ, P = TIOCGPGRP. Prints each result, exits 0.
   For ask mode's argument-exact answers: a policy from `propose --args` on a "T" run allows
   ioctl only for TCGETS. */
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>

int main(int argc, char **argv) {
  const char *requests = argc > 1 ? argv[1] : "T";
  char buf[256];
  for (const char *r = requests; *r; r++) {
    unsigned long request = *r == 'T' ? TCGETS : *r == 'F' ? FIONREAD : *r == 'W' ? TIOCGWINSZ : TIOCGPGRP;
    int rc = ioctl(0, request, buf);
    printf("ioctl %c -> %d\n", *r, rc);
    fflush(stdout);
  }
  return 0;
}
