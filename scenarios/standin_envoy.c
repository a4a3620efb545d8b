/*
 * standin_envoy.c - `ecsboot envoy`: plays the sidecar proxy image. It reads
 * the same bootstrap file a real Envoy would (and rejects an invalid one
 * with the JSON path of the problem, exit 1), asks the local Consul agent
 * for its proxy registration (what Envoy would learn over xDS), then:
 *   - admin listener (bootstrap admin address): GET /ready -> "LIVE";
 *   - public listener (registration Port, 20000 in consul-ecs): every
 *     connection is forwarded to LocalServiceAddress:LocalServicePort;
 *   - one listener per upstream (LocalBindPort): forwarded to a passing
 *     instance of the upstream's sidecar proxy.
 * SIGTERM/SIGINT end it at once, as they end a real Envoy: that abruptness
 * is what graceful-shutdown scenarios measure.
 *
 *   ecsboot envoy -c FILE | --config-path FILE [--xds-timeout D]
 *                 [envoy flags that take no effect here: -l/--log-level V,
 *                  --concurrency V, --base-id V, --drain-time-s V,
 *                  --parent-shutdown-time-s V, --drain-strategy V,
 *                  --disable-hot-restart]
 */
/* accept4 (Linux). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/duration.h"
#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "ecsb/json.h"
#include "ecsb/log.h"
#include "ecsb/probe.h"
#include "ecsb/retry.h"
#include "scn/standin.h"
#include "standin_http.h"

#define MAX_UPSTREAMS 16
#define GET_MAX (1u << 20) /* a Consul answer the proxy reads */
#define IDLE_TIMEOUT_MS 60000

typedef struct boot {
  char node_id[256];
  char cluster[256];
  char admin_host[64];
  int admin_port;
  char agent_host[64];
  char token[256];
} boot;

typedef struct listener {
  int fd;
  char target_host[64]; /* fixed target; empty for upstreams */
  int target_port;
  char upstream[128]; /* upstream service name, when an upstream */
  struct proxy *px;
  pthread_t thread;
} listener;

typedef struct proxy {
  boot b;
  const char *task_ip;
  char agent_url[128];
  listener pub;
  listener ups[MAX_UPSTREAMS];
  size_t n_ups;
  atomic_uint_fast64_t cx_total, cx_failed;
  volatile int stop;
} proxy;

/* ---- bootstrap ---------------------------------------------------------- */

static int copy_str(const cJSON *o, const char *path, const char *key,
                    char *dst, size_t cap, ecsb_err *err) {
  const char *v = NULL;
  int rc = ecsb_json_get_string(o, path, key, true, &v, err);
  if (rc)
    return rc;
  if (!*v || strlen(v) >= cap)
    return ecsb_err_set(err, ECSB_EINVAL, "%s.%s: must be 1-%zu characters",
                        path, key, cap - 1);
  snprintf(dst, cap, "%s", v);
  return 0;
}

static int socket_addr(const cJSON *addr_parent, const char *path, char *host,
                       size_t cap, int *port, ecsb_err *err) {
  const cJSON *addr, *sa;
  char p[256];
  int rc = ecsb_json_get_object(addr_parent, path, "address", true, &addr, err);
  snprintf(p, sizeof p, "%s.address", path);
  if (!rc)
    rc = ecsb_json_get_object(addr, p, "socket_address", true, &sa, err);
  snprintf(p, sizeof p, "%s.address.socket_address", path);
  if (!rc)
    rc = copy_str(sa, p, "address", host, cap, err);
  int64_t pv = 0;
  if (!rc)
    rc = ecsb_json_get_int(sa, p, "port_value", true, 1, 65535, &pv, err);
  *port = (int)pv;
  return rc;
}

static int parse_bootstrap(const char *file, boot *b, ecsb_err *err) {
  char *text = NULL;
  size_t len = 0;
  cJSON *j = NULL;
  int rc = ecsb_read_file(file, 1 << 20, &text, &len, err);
  if (!rc)
    rc = ecsb_json_parse(text, len, file, &j, err);
  free(text);
  if (rc)
    return rc;
  const cJSON *node, *admin, *sr, *clusters, *dr, *ads;
  rc = ecsb_json_get_object(j, "$", "node", true, &node, err);
  if (!rc)
    rc = copy_str(node, "$.node", "id", b->node_id, sizeof b->node_id, err);
  if (!rc)
    rc =
        copy_str(node, "$.node", "cluster", b->cluster, sizeof b->cluster, err);
  if (!rc)
    rc = ecsb_json_get_object(j, "$", "admin", true, &admin, err);
  if (!rc)
    rc = socket_addr(admin, "$.admin", b->admin_host, sizeof b->admin_host,
                     &b->admin_port, err);
  if (!rc)
    rc = ecsb_json_get_object(j, "$", "static_resources", true, &sr, err);
  if (!rc)
    rc = ecsb_json_get_array(sr, "$.static_resources", "clusters", true,
                             &clusters, err);
  if (!rc)
    rc = ecsb_json_get_object(j, "$", "dynamic_resources", true, &dr, err);
  if (!rc)
    rc = ecsb_json_get_object(dr, "$.dynamic_resources", "ads_config", true,
                              &ads, err);
  if (rc)
    goto out;
  /* The ADS cluster must exist and have one endpoint: it is where a real
   * Envoy would fetch its listeners, so it names the local agent. */
  const cJSON *gs = cJSON_GetObjectItemCaseSensitive(ads, "grpc_services");
  if (cJSON_IsArray(gs))
    gs = cJSON_GetArrayItem(gs, 0);
  const cJSON *eg =
      gs ? cJSON_GetObjectItemCaseSensitive(gs, "envoy_grpc") : NULL;
  const cJSON *cn =
      eg ? cJSON_GetObjectItemCaseSensitive(eg, "cluster_name") : NULL;
  if (!cJSON_IsString(cn)) {
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "$.dynamic_resources.ads_config.grpc_services."
                      "envoy_grpc.cluster_name: required field missing");
    goto out;
  }
  const cJSON *md = cJSON_GetObjectItemCaseSensitive(gs, "initial_metadata");
  const cJSON *m;
  cJSON_ArrayForEach(m, md) {
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(m, "key");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value");
    if (cJSON_IsString(k) && cJSON_IsString(v) &&
        strcmp(k->valuestring, "x-consul-token") == 0)
      snprintf(b->token, sizeof b->token, "%s", v->valuestring);
  }
  const cJSON *c;
  int idx = 0;
  bool found = false;
  cJSON_ArrayForEach(c, clusters) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
    if (cJSON_IsString(name) &&
        strcmp(name->valuestring, cn->valuestring) == 0) {
      char p[128];
      snprintf(p, sizeof p, "$.static_resources.clusters[%d]", idx);
      const cJSON *la = cJSON_GetObjectItemCaseSensitive(c, "loadAssignment");
      if (!la)
        la = cJSON_GetObjectItemCaseSensitive(c, "load_assignment");
      const cJSON *eps =
          la ? cJSON_GetObjectItemCaseSensitive(la, "endpoints") : NULL;
      const cJSON *ep0 = cJSON_GetArrayItem(eps, 0);
      const cJSON *lbs =
          ep0 ? cJSON_GetObjectItemCaseSensitive(ep0, "lbEndpoints") : NULL;
      if (!lbs && ep0)
        lbs = cJSON_GetObjectItemCaseSensitive(ep0, "lb_endpoints");
      const cJSON *lb0 = cJSON_GetArrayItem(lbs, 0);
      const cJSON *ep =
          lb0 ? cJSON_GetObjectItemCaseSensitive(lb0, "endpoint") : NULL;
      int port;
      if (!ep) {
        rc = ecsb_err_set(err, ECSB_EINVAL,
                          "%s.loadAssignment.endpoints[0].lbEndpoints[0]."
                          "endpoint: required field missing",
                          p);
        goto out;
      }
      char ep_path[256];
      snprintf(ep_path, sizeof ep_path,
               "%s.loadAssignment.endpoints[0].lbEndpoints[0].endpoint", p);
      rc = socket_addr(ep, ep_path, b->agent_host, sizeof b->agent_host, &port,
                       err);
      if (rc)
        goto out;
      found = true;
      break;
    }
    idx++;
  }
  if (!found)
    rc = ecsb_err_set(err, ECSB_EINVAL,
                      "$.static_resources.clusters: no cluster named \"%s\" "
                      "(the ADS cluster)",
                      cn->valuestring);
out:
  cJSON_Delete(j);
  if (rc)
    ecsb_err_prefix(err, "invalid bootstrap %s", file);
  return rc;
}

/* ---- TCP forwarding ------------------------------------------------------ */

static int listen_on(const char *host, int port, ecsb_err *err) {
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
    return ecsb_err_set(err, ECSB_EINVAL, "invalid listener address %s", host);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      listen(fd, 128) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    return ecsb_err_set(err, ECSB_EIO, "cannot listen on %s:%d: %s", host, port,
                        strerror(e));
  }
  return fd;
}

static int connect_to(const char *host, int port) {
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
    return -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Copies both ways until either side closes or the pair idles too long. */
static void pump(int a, int b) {
  char buf[16384];
  struct pollfd p[2] = {{.fd = a, .events = POLLIN},
                        {.fd = b, .events = POLLIN}};
  for (;;) {
    int n = poll(p, 2, IDLE_TIMEOUT_MS);
    if (n <= 0)
      return;
    for (int i = 0; i < 2; i++) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      ssize_t r = read(p[i].fd, buf, sizeof buf);
      if (r <= 0)
        return;
      int out = i == 0 ? b : a;
      for (ssize_t off = 0; off < r;) {
        ssize_t w = write(out, buf + off, (size_t)(r - off));
        if (w <= 0)
          return;
        off += w;
      }
    }
  }
}

typedef struct conn {
  int fd;
  listener *l;
} conn;

/* Finds a passing instance of the upstream's sidecar proxy through the
 * local agent (consul-ecs names proxies "<service>-sidecar-proxy"). */
static int resolve_upstream(proxy *px, const char *service, char *host,
                            size_t cap, int *port) {
  char url[512];
  snprintf(url, sizeof url, "%s/v1/health/service/%s-sidecar-proxy?passing",
           px->agent_url, service);
  char *body = NULL;
  size_t len = 0;
  long status = 0;
  int rc = -1;
  cJSON *j = NULL;
  if (ecsb_probe_get(url, "X-Consul-Token", px->b.token, 2000, GET_MAX, NULL,
                     &status, &body, &len, NULL) == 0 &&
      status == 200 && ecsb_json_parse(body, len, url, &j, NULL) == 0) {
    const cJSON *e0 = cJSON_GetArrayItem(j, 0);
    const cJSON *svc =
        e0 ? cJSON_GetObjectItemCaseSensitive(e0, "Service") : NULL;
    const cJSON *a =
        svc ? cJSON_GetObjectItemCaseSensitive(svc, "Address") : NULL;
    const cJSON *p = svc ? cJSON_GetObjectItemCaseSensitive(svc, "Port") : NULL;
    if (cJSON_IsString(a) && *a->valuestring && cJSON_IsNumber(p)) {
      snprintf(host, cap, "%s", a->valuestring);
      *port = p->valueint;
      rc = 0;
    }
  }
  cJSON_Delete(j);
  free(body);
  return rc;
}

static void *conn_thread(void *arg) {
  conn *c = arg;
  listener *l = c->l;
  char host[64];
  int port = l->target_port;
  snprintf(host, sizeof host, "%s", l->target_host);
  int up = -1;
  if (l->upstream[0] == '\0') {
    /* The public listener: Envoy's mesh listener waits for the client's
     * TLS hello before it opens anything upstream, so a connection that
     * closes without a byte (a TCP health check) never reaches the app. */
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    char b;
    if (poll(&p, 1, IDLE_TIMEOUT_MS) <= 0 ||
        recv(c->fd, &b, 1, MSG_PEEK) <= 0) {
      close(c->fd);
      free(c);
      return NULL;
    }
    up = connect_to(host, port);
  } else if (resolve_upstream(l->px, l->upstream, host, sizeof host, &port) ==
             0) {
    up = connect_to(host, port);
  }
  if (up < 0) {
    atomic_fetch_add(&l->px->cx_failed, 1);
  } else {
    pump(c->fd, up);
    close(up);
  }
  close(c->fd);
  free(c);
  return NULL;
}

/* Set by the handler; also the stop flag of the registration wait. */
static volatile int got_signal;
/* The public listener, so the handler can drop it the moment SIGTERM
 * arrives, as Envoy does (shutdown(2) is async-signal-safe). */
static volatile int public_fd = -1;
static void on_signal(int sig) {
  got_signal = sig;
  if (public_fd >= 0)
    shutdown(public_fd, SHUT_RDWR);
}

static void *accept_thread(void *arg) {
  listener *l = arg;
  while (!l->px->stop) {
    struct pollfd p = {.fd = l->fd, .events = POLLIN};
    if (got_signal)
      break;
    /* No timeout: stopping shuts the listener down, which wakes this. An
     * idle proxy costs nothing (hundreds of them share two cores). */
    if (poll(&p, 1, -1) <= 0 || l->px->stop)
      continue;
    int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    atomic_fetch_add(&l->px->cx_total, 1);
    char b;
    if (l->upstream[0] == '\0' &&
        recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
      close(fd); /* already closed by the client: a TCP check, no thread */
      continue;
    }
    conn *c = malloc(sizeof *c);
    pthread_t t;
    if (!c) {
      close(fd);
      continue;
    }
    c->fd = fd;
    c->l = l;
    if (pthread_create(&t, NULL, conn_thread, c) != 0) {
      close(fd);
      free(c);
      continue;
    }
    pthread_detach(t);
  }
  return NULL;
}

/* ---- admin ----------------------------------------------------------------
 */

static void admin_handler(void *user, const char *method, const char *path,
                          scn_shttp_resp *resp) {
  (void)method;
  proxy *px = user;
  if (strcmp(path, "/ready") == 0) {
    scn_shttp_textf(resp, 200, "LIVE\n");
  } else if (strcmp(path, "/stats") == 0) {
    scn_shttp_textf(
        resp, 200,
        "downstream_cx_total: %llu\nupstream_cx_connect_fail: %llu\n",
        (unsigned long long)atomic_load(&px->cx_total),
        (unsigned long long)atomic_load(&px->cx_failed));
  } else {
    scn_shttp_textf(resp, 404, "not found\n");
  }
}

/* ---- registration ------------------------------------------------------- */

/* Waits (bounded) for the proxy's registration, as Envoy waits for xDS:
 * mesh-init may still be registering when the proxy starts. */
static int fetch_registration(proxy *px, int64_t timeout_ms, volatile int *stop,
                              cJSON **out, ecsb_err *err) {
  char url[512];
  snprintf(url, sizeof url, "%s/v1/agent/service/%s", px->agent_url,
           px->b.node_id);
  ecsb_retry retry;
  ecsb_retry_init(&retry, timeout_ms, 50, 1000, 0, stop);
  char last[ECSB_ERR_MSG_MAX] = "no answer yet";
  ecsb_err why = {.code = ECSB_ETRANSPORT};
  int rc;
  do {
    char *body = NULL;
    size_t len = 0;
    long status = 0;
    ecsb_err e = {0};
    /* one retry policy: this loop's */
    if (ecsb_probe_get(url, "X-Consul-Token", px->b.token, 2000, GET_MAX, NULL,
                       &status, &body, &len, &e) == 0) {
      if (status == 200) {
        rc = ecsb_json_parse(body, len, url, out, err);
        free(body);
        return rc;
      }
      snprintf(last, sizeof last, "HTTP %ld", status);
    } else {
      snprintf(last, sizeof last, "%s", e.msg);
    }
    free(body);
    snprintf(why.msg, sizeof why.msg, "%s", last);
  } while ((rc = ecsb_retry_wait(&retry, false, "proxy registration", &why)) ==
           0);
  return ecsb_err_set(err, rc, "no proxy registration for %s at %s (last: %s)",
                      px->b.node_id, url, last);
}

static int usage(const char *msg, const char *arg) {
  if (msg)
    fprintf(stderr, "ecsboot envoy: %s%s%s\n", msg, arg ? " " : "",
            arg ? arg : "");
  fprintf(stderr, "usage: ecsboot envoy -c BOOTSTRAP.json [--xds-timeout D]\n");
  return msg ? 1 : 0;
}

int scn_standin_envoy_main(int argc, char **argv) {
  static const char *ignored_with_value[] = {"-l",
                                             "--log-level",
                                             "--concurrency",
                                             "--base-id",
                                             "--drain-time-s",
                                             "--parent-shutdown-time-s",
                                             "--drain-strategy",
                                             "--component-log-level"};
  const char *config = NULL;
  int64_t xds_timeout_ms = 60000;
  for (int i = 1; i < argc; i++) {
    const char *f = argv[i];
    if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0)
      return usage(NULL, NULL);
    if (strncmp(f, "--config-path=", 14) == 0) {
      config = f + 14;
      continue;
    }
    if (strcmp(f, "--disable-hot-restart") == 0)
      continue;
    bool skip = false;
    for (size_t k = 0;
         k < sizeof ignored_with_value / sizeof *ignored_with_value; k++)
      skip |= strcmp(f, ignored_with_value[k]) == 0;
    bool known = skip || strcmp(f, "-c") == 0 ||
                 strcmp(f, "--config-path") == 0 ||
                 strcmp(f, "--xds-timeout") == 0;
    if (!known)
      return usage("unknown flag", f);
    if (i + 1 >= argc)
      return usage("missing value for", f);
    const char *v = argv[++i];
    if (skip)
      continue;
    if (strcmp(f, "-c") == 0 || strcmp(f, "--config-path") == 0) {
      config = v;
    } else {
      int64_t ns;
      ecsb_err e = {0};
      if (ecsb_duration_parse(v, &ns, &e) != 0 || ns <= 0)
        return usage("--xds-timeout: invalid duration", v);
      xds_timeout_ms = ns / ECSB_NS_PER_MS;
    }
  }
  if (!config)
    return usage("a bootstrap file is required (-c FILE)", NULL);

  proxy *px = calloc(1, sizeof *px);
  if (!px)
    return 1;
  px->task_ip = getenv(ECSB_TASK_IP_ENV);
  ecsb_err err = {0};
  int rc = 1;
  scn_shttp *admin = NULL;
  cJSON *reg = NULL;
  if (parse_bootstrap(config, &px->b, &err) != 0) {
    ecsb_log(ECSB_LOG_ERROR, "envoy: cannot start", "error", err.msg, NULL);
    free(px);
    return 1;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  /* SIGTERM and SIGINT go to this thread alone: every other thread is
   * created with them blocked, so that the wait at the end can be a
   * sigsuspend (no wake-ups while idle) that no other thread steals. */
  sigset_t stop_sigs, open_mask;
  sigemptyset(&stop_sigs);
  sigaddset(&stop_sigs, SIGTERM);
  sigaddset(&stop_sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_sigs, &open_mask);

  const char *http_addr = getenv("CONSUL_HTTP_ADDR");
  if (http_addr && *http_addr) {
    if (strstr(http_addr, "://"))
      snprintf(px->agent_url, sizeof px->agent_url, "%s", http_addr);
    else
      snprintf(px->agent_url, sizeof px->agent_url, "http://%s", http_addr);
  } else {
    snprintf(px->agent_url, sizeof px->agent_url, "http://%s:8500",
             scn_localhost_map(px->b.agent_host, px->task_ip));
  }
  int admin_rc =
      scn_shttp_start(scn_localhost_map(px->b.admin_host, px->task_ip),
                      px->b.admin_port, admin_handler, px, &admin, &err);
  /* Open to the signals while fetching (it stops on got_signal). */
  pthread_sigmask(SIG_SETMASK, &open_mask, NULL);
  if (admin_rc != 0) {
    ecsb_log(ECSB_LOG_ERROR, "envoy: admin listener", "error", err.msg, NULL);
    goto out;
  }
  if (fetch_registration(px, xds_timeout_ms, &got_signal, &reg, &err) != 0) {
    ecsb_log(ECSB_LOG_ERROR, "envoy: no configuration", "error", err.msg, NULL);
    goto out;
  }
  pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL); /* for the threads below */

  int64_t port = 0, lport = 0;
  const char *addr = "", *laddr = "127.0.0.1";
  const cJSON *pxc = NULL, *ups = NULL;
  if (ecsb_json_get_int(reg, "$", "Port", true, 1, 65535, &port, &err) ||
      ecsb_json_get_string(reg, "$", "Address", false, &addr, &err) ||
      ecsb_json_get_object(reg, "$", "Proxy", true, &pxc, &err) ||
      ecsb_json_get_int(pxc, "$.Proxy", "LocalServicePort", false, 0, 65535,
                        &lport, &err) ||
      ecsb_json_get_string(pxc, "$.Proxy", "LocalServiceAddress", false, &laddr,
                           &err) ||
      ecsb_json_get_array(pxc, "$.Proxy", "Upstreams", false, &ups, &err)) {
    ecsb_log(ECSB_LOG_ERROR, "envoy: bad proxy registration", "error", err.msg,
             NULL);
    goto out;
  }
  px->pub.px = px;
  snprintf(px->pub.target_host, sizeof px->pub.target_host, "%s",
           scn_localhost_map(laddr, px->task_ip));
  px->pub.target_port = (int)lport;
  const char *pub_host = scn_localhost_map(addr, px->task_ip);
  if (!pub_host || !*pub_host)
    pub_host = scn_localhost_map(px->b.agent_host, px->task_ip);
  px->pub.fd = listen_on(pub_host, (int)port, &err);
  if (px->pub.fd < 0) {
    /* As Envoy rejects a listener it cannot bind and keeps running, the
     * proxy stays up but never opens its public port. */
    ecsb_log(ECSB_LOG_ERROR, "envoy: public listener rejected", "error",
             err.msg, NULL);
  } else {
    public_fd = px->pub.fd;
    pthread_create(&px->pub.thread, NULL, accept_thread, &px->pub);
  }
  const cJSON *u;
  cJSON_ArrayForEach(u, ups) {
    if (px->n_ups >= MAX_UPSTREAMS)
      break;
    const cJSON *dn = cJSON_GetObjectItemCaseSensitive(u, "DestinationName");
    const cJSON *bp = cJSON_GetObjectItemCaseSensitive(u, "LocalBindPort");
    const cJSON *ba = cJSON_GetObjectItemCaseSensitive(u, "LocalBindAddress");
    if (!cJSON_IsString(dn) || !cJSON_IsNumber(bp))
      continue;
    listener *l = &px->ups[px->n_ups];
    l->px = px;
    snprintf(l->upstream, sizeof l->upstream, "%s", dn->valuestring);
    l->fd = listen_on(
        scn_localhost_map(cJSON_IsString(ba) ? ba->valuestring : "127.0.0.1",
                          px->task_ip),
        bp->valueint, &err);
    if (l->fd < 0) {
      ecsb_log(ECSB_LOG_ERROR, "envoy: upstream listener rejected", "error",
               err.msg, NULL);
      continue;
    }
    pthread_create(&l->thread, NULL, accept_thread, l);
    px->n_ups++;
  }
  char pubs[96];
  snprintf(pubs, sizeof pubs, "%s:%lld", pub_host, (long long)port);
  ecsb_log(ECSB_LOG_INFO, "envoy: ready", "proxy", px->b.node_id, "public",
           pubs, "local_service_port", px->pub.target_host, NULL);
  /* sigsuspend opens the mask and waits in one step: a signal that came
   * before it is pending, not lost. */
  while (!got_signal)
    sigsuspend(&open_mask);
  rc = 0;
out:
  px->stop = 1;
  /* Envoy drops its listeners the moment SIGTERM arrives: stop accepting
   * at once (shutdown wakes the accept threads' poll), and let the
   * process exit end the connections in flight, as Envoy's exit does. */
  if (px->pub.fd > 0)
    shutdown(px->pub.fd, SHUT_RDWR);
  for (size_t i = 0; i < px->n_ups; i++)
    shutdown(px->ups[i].fd, SHUT_RDWR);
  if (px->pub.fd > 0) {
    pthread_join(px->pub.thread, NULL);
    close(px->pub.fd);
  }
  for (size_t i = 0; i < px->n_ups; i++) {
    pthread_join(px->ups[i].thread, NULL);
    close(px->ups[i].fd);
  }
  scn_shttp_stop(admin);
  cJSON_Delete(reg);
  free(px);
  return got_signal ? 0 : rc;
}
