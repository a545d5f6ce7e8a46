/* fullscreen MODE MS: takes the terminal over as full-screen programs do, MODE = alt (switches to
   the alternate screen, as vim and less do) or raw (non-canonical mode with tcsetattr, no screen
   switch); fills every row with "full-row-<n>" (the bottom row included), keeps making calls for
   MS milliseconds, gives the terminal back and prints "after-<MODE>", then keeps making calls for
   another MS milliseconds.
   Expected on the terminal while it holds it: rows 1..N read full-row-1..full-row-N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void busy(long ms) {
  struct timespec tick = { 0, 20 * 1000 * 1000 };
  for (long waited = 0; waited < ms; waited += 20) {
    syscall(SYS_getppid);
    nanosleep(&tick, NULL);
  }
}

static void put(const char *text) {
  if (write(1, text, strlen(text)) < 0) exit(2);
}

int main(int argc, char **argv) {
  int alt = argc < 2 || strcmp(argv[1], "raw") != 0;
  long ms = argc > 2 ? atol(argv[2]) : 1500;
  struct winsize size;
  if (ioctl(1, TIOCGWINSZ, &size) < 0) { perror("TIOCGWINSZ"); return 2; }
  struct termios saved, raw;
  if (!alt) {
    if (tcgetattr(1, &saved) < 0) { perror("tcgetattr"); return 2; }
    raw = saved;
    raw.c_lflag &= ~(ICANON | ECHO);
    if (tcsetattr(1, TCSANOW, &raw) < 0) { perror("tcsetattr"); return 2; }
  } else {
    put("\x1b[?1049h");
  }
  put("\x1b[H\x1b[2J");
  char line[64];
  for (int row = 1; row <= size.ws_row; row++) {
    snprintf(line, sizeof line, "\x1b[%d;1Hfull-row-%d", row, row);
    put(line);
  }
  busy(ms);
  if (alt) put("\x1b[?1049l");
  else {
    put("\x1b[H\x1b[2J");
    tcsetattr(1, TCSANOW, &saved);
  }
  put(alt ? "after-alt\n" : "after-raw\n");
  busy(ms);
  return 0;
}
