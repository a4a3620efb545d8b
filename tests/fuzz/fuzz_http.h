/* fuzz_http.h - sends one fuzz input as raw bytes of an HTTP request to a
 * server in this process and reads the answer (bounded), so the fakes'
 * request handling (libmicrohttpd, the router, the decoders) is fuzzed
 * through the same path real clients use. */
#ifndef ECSB_FUZZ_HTTP_H
#define ECSB_FUZZ_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Silent 50 ms waits for the server to close before the next input. */
#ifndef FUZZ_HTTP_SILENT_POLLS
#define FUZZ_HTTP_SILENT_POLLS 100
#endif

static void fuzz_http_send(const char *ip, uint16_t port, const uint8_t *data,
                           size_t size) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, ip, &sa.sin_addr);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
    size_t off = 0;
    while (off < size) {
      ssize_t w = send(fd, data + off, size - off, MSG_NOSIGNAL);
      if (w <= 0)
        break;
      off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    /* Read until the server closes (it does once the request it got is
     * answered), for at most FUZZ_HTTP_SILENT_POLLS silent waits of 50 ms
     * (5 s unless the target says otherwise): an input should
     * leave no handler running behind it. A handler still running when
     * the next input starts, on a thread libmicrohttpd created for its
     * connection, is where LeakSanitizer has reported objects a live
     * request still held (a 404 body, a request's cJSON) as leaks. The
     * server answers within milliseconds; only a starved fuzzer (nice 19
     * beside other work) waited longer than the 1 s this used to allow
     * (and a blocking query holds its answer for its wait). */
    char buf[4096];
    int silent = 0;
    for (int i = 0; i < 512 && silent < FUZZ_HTTP_SILENT_POLLS; i++) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      int r = poll(&p, 1, 50);
      if (r < 0)
        break;
      if (r == 0) {
        silent++;
        continue;
      }
      if (read(fd, buf, sizeof buf) <= 0)
        break;
    }
  }
  close(fd);
}

#endif
