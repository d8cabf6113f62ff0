// udp: a static UDP client and server for the network suites, run inside
// containers whose image holds nothing but busybox (whose nc has no UDP).
//
//   udp serve PORT            answer every datagram with "echo:" + its data, forever
//   udp ask HOST PORT MSG     send MSG, print the answer (2 s timeout, 3 tries);
//                             HOST is an IPv4 address or a name from /etc/hosts
//
// Names are looked up in /etc/hosts by hand: a static binary has no NSS,
// and /etc/hosts is what hutch writes for a container's network peers.
// Exit status: 0 answered, 1 no answer or name not found, 2 usage.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int lookup(const char* host, struct in_addr* out) {
  if (inet_pton(AF_INET, host, out) == 1) return 0;
  FILE* f = fopen("/etc/hosts", "r");
  if (!f) return -1;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    char* hash = strchr(line, '#');
    if (hash) *hash = 0;
    char* save = NULL;
    char* ip = strtok_r(line, " \t\n", &save);
    if (!ip) continue;
    for (char* name; (name = strtok_r(NULL, " \t\n", &save));) {
      if (strcmp(name, host) == 0 && inet_pton(AF_INET, ip, out) == 1) {
        fclose(f);
        return 0;
      }
    }
  }
  fclose(f);
  return -1;
}

static int serve(int port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (s < 0 || bind(s, (struct sockaddr*)&a, sizeof a) != 0) {
    perror("udp serve");
    return 1;
  }
  for (;;) {
    char buf[1500];
    char reply[1600];
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr*)&peer, &len);
    if (n < 0) continue;
    int m = snprintf(reply, sizeof reply, "echo:%.*s", (int)n, buf);
    sendto(s, reply, (size_t)m, 0, (struct sockaddr*)&peer, len);
  }
}

static int ask(const char* host, int port, const char* msg) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (lookup(host, &a.sin_addr) != 0) {
    fprintf(stderr, "udp ask: %s: not found\n", host);
    return 1;
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct timeval tv = {.tv_sec = 2};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (int tries = 0; tries < 3; ++tries) {
    sendto(s, msg, strlen(msg), 0, (struct sockaddr*)&a, sizeof a);
    char buf[1600];
    ssize_t n = recv(s, buf, sizeof buf - 1, 0);
    if (n >= 0) {
      buf[n] = 0;
      printf("%s\n", buf);
      return 0;
    }
  }
  fprintf(stderr, "udp ask: no answer from %s:%d\n", host, port);
  return 1;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(atoi(argv[2]));
  if (argc == 5 && strcmp(argv[1], "ask") == 0) return ask(argv[2], atoi(argv[3]), argv[4]);
  fprintf(stderr, "usage: udp serve PORT | udp ask HOST PORT MSG\n");
  return 2;
}
