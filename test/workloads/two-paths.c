/*
 * two-paths [listen|file]: with no argument it only prints; "listen" binds and listens on a
 * loopback TCP socket, "file" makes a temp file and fallocates it. Every path's functions are
 * imported whichever path runs, so static hints can name the syscalls of the paths a run did
 * not take: a run without arguments never makes socket, bind, listen, fallocate or unlink.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "";
  if (strcmp(path, "listen") == 0) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1) < 0) return 2;
    close(s);
  } else if (strcmp(path, "file") == 0) {
    char name[] = "/tmp/sbx-two-paths-XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0 || fallocate(fd, 0, 0, 4096) < 0) return 3;
    unlink(name);
    close(fd);
  }
  puts("done");
  return 0;
}
