/*
 * fcon_serve_main.c - a test program standing in for `ecsboot serve`'s
 * fake-Consul part (cli/ belongs to the lead): starts fcon_serve on the
 * addresses given and waits for SIGTERM or SIGINT.
 *
 *   fcon_serve_main SERVER_IP:PORT AGENT_IP:PORT
 *
 * Prints fcon_serve_describe to stdout, then "ready" on its own line.
 * Exit 0 after a signal, 2 on bad arguments, 1 when it cannot listen.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/http.h"
#include "ecsb/httpd.h"
#include "fcon/fcon.h"

static int split(const char *arg, char *ip, size_t cap, uint16_t *port) {
  const char *c = strrchr(arg, ':');
  if (!c || (size_t)(c - arg) >= cap)
    return -1;
  memcpy(ip, arg, (size_t)(c - arg));
  ip[c - arg] = 0;
  char *end = NULL;
  long p = strtol(c + 1, &end, 10);
  if (*end || p < 0 || p > 65535)
    return -1;
  *port = (uint16_t)p;
  return 0;
}

int main(int argc, char **argv) {
  char sip[64], aip[64];
  fcon_serve_opts o;
  fcon_serve_opts_default(&o);
  if (argc != 3 || split(argv[1], sip, sizeof sip, &o.server_port) < 0 ||
      split(argv[2], aip, sizeof aip, &o.agent_port) < 0) {
    fprintf(stderr, "usage: %s SERVER_IP:PORT AGENT_IP:PORT\n", argv[0]);
    return 2;
  }
  o.server_ip = sip;
  o.agent_ip = aip;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts */
  ecsb_httpd_tune_process();
  ecsb_http_global_init(NULL);
  ecsb_err err = {0};
  fcon_serve *s = NULL;
  if (fcon_serve_start(&o, &s, &err) < 0) {
    fprintf(stderr, "level=error msg=\"%s\"\n", err.msg);
    return 1;
  }
  fcon_serve_describe(s, stdout);
  printf("ready\n");
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  fcon_serve_stop(s);
  ecsb_http_global_cleanup();
  return 0;
}
