/*
 * bench_init.c - what ecsboot-init costs per run, beside a bare C program
 * (bare_init.c) making the same HTTP calls and the same atomic write.
 *
 * Starts in-process loopback stand-ins for the task metadata endpoint, the
 * Consul agent, the container credentials endpoint and the ECS API, then
 * runs each program N times as a real process and prints wall time (median,
 * p95), peak RSS (median, max, from wait4) and binary size, and the ratio
 * ecsboot-init / bare. Figures only: nothing here asserts a timing.
 *
 *   bench_init [RUNS]      (default 200)
 */
#include <elf.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecsb/clock.h"
#include "ecsb/httpd.h"

extern char **environ;

/* ---- stand-ins -------------------------------------------------------- */

static const char *task_json =
    "{\"Cluster\": \"arn:aws:ecs:us-east-1:1:cluster/bench\","
    " \"TaskARN\": \"arn:aws:ecs:us-east-1:1:task/bench/t0\","
    " \"Family\": \"web\", \"Containers\": [{\"Name\": \"app\", "
    "\"KnownStatus\": \"RUNNING\", \"Networks\": [{\"IPv4Addresses\": "
    "[\"127.0.0.1\"]}]}]}";
static const char *self_json =
    "{\"Config\": {\"Datacenter\": \"dc1\"}, \"xDS\": {\"Port\": 8502, "
    "\"Ports\": {\"Plaintext\": 8502}}}";
static const char *proxy_json =
    "{\"Kind\": \"connect-proxy\", \"ID\": \"web-t0-sidecar-proxy\", "
    "\"Service\": \"web-sidecar-proxy\", \"Proxy\": "
    "{\"DestinationServiceName\": \"web\", \"DestinationServiceID\": "
    "\"web-t0\", \"Config\": {}}}";
static const char *creds_json =
    "{\"AccessKeyId\": \"ASIABENCH\", \"SecretAccessKey\": \"secret\", "
    "\"Token\": \"session\", \"Expiration\": \"2099-01-01T00:00:00Z\"}";
static const char *list_json =
    "{\"taskArns\": [\"arn:aws:ecs:us-east-1:1:task/bench/server\"]}";
static const char *describe_json =
    "{\"tasks\": [{\"taskArn\": \"arn:aws:ecs:us-east-1:1:task/bench/server\","
    " \"lastStatus\": \"RUNNING\", \"desiredStatus\": \"RUNNING\","
    " \"containers\": [{\"name\": \"consul-server\", \"lastStatus\": "
    "\"RUNNING\", \"healthStatus\": \"HEALTHY\", \"networkInterfaces\": "
    "[{\"privateIpv4Address\": \"10.0.0.10\"}]}]}], \"failures\": []}";

static void reply(ecsb_httpd_resp *r, const char *body) {
  ecsb_httpd_resp_set(r, 200, "application/json", body, strlen(body));
}

static void handler(void *u, const ecsb_httpd_req *req, ecsb_httpd_resp *r) {
  (void)u;
  const char *p = req->path;
  const char *target = ecsb_httpd_req_header(req, "X-Amz-Target");
  if (target && strstr(target, "ListTasks"))
    reply(r, list_json);
  else if (target && strstr(target, "DescribeTasks"))
    reply(r, describe_json);
  else if (strcmp(p, "/task") == 0)
    reply(r, task_json);
  else if (strcmp(p, "/creds") == 0)
    reply(r, creds_json);
  else if (strcmp(p, "/v1/agent/self") == 0)
    reply(r, self_json);
  else if (strncmp(p, "/v1/agent/service/register", 26) == 0)
    ecsb_httpd_resp_set(r, 200, "text/plain", "", 0);
  else if (strncmp(p, "/v1/agent/service/", 18) == 0)
    reply(r, proxy_json);
  else
    ecsb_httpd_resp_textf(r, 404, "no route %s", p);
}

/* ---- measuring -------------------------------------------------------- */

typedef struct sample {
  double wall_ms;
  long rss_kb;
} sample;

static int run_once(const char *const *argv, char *const *envp, sample *s) {
  int devnull_fds[2] = {-1, -1};
  (void)devnull_fds;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 01, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 01, 0);
  int64_t t0 = ecsb_mono_us();
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, envp) != 0) {
    posix_spawn_file_actions_destroy(&fa);
    return -1;
  }
  posix_spawn_file_actions_destroy(&fa);
  int st = 0;
  struct rusage ru;
  if (wait4(pid, &st, 0, &ru) != pid)
    return -1;
  s->wall_ms = (double)(ecsb_mono_us() - t0) / 1000.0;
  s->rss_kb = ru.ru_maxrss;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int cmp_l(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return x < y ? -1 : x > y;
}

typedef struct stats {
  double med_ms, p95_ms;
  long med_rss, max_rss;
  int failures;
} stats;

static stats measure(const char *const *argv, char *const *envp, int runs) {
  double *w = calloc((size_t)runs, sizeof *w);
  long *r = calloc((size_t)runs, sizeof *r);
  stats st = {0};
  int n = 0;
  for (int i = 0; i < runs; i++) {
    sample s;
    if (run_once(argv, envp, &s) != 0) {
      st.failures++;
      continue;
    }
    w[n] = s.wall_ms;
    r[n] = s.rss_kb;
    n++;
  }
  if (n) {
    qsort(w, (size_t)n, sizeof *w, cmp_d);
    qsort(r, (size_t)n, sizeof *r, cmp_l);
    st.med_ms = w[n / 2];
    st.p95_ms = w[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1];
    st.med_rss = r[n / 2];
    st.max_rss = r[n - 1];
  }
  free(w);
  free(r);
  return st;
}

static long file_size(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

/* Bytes the loader maps from the file (PT_LOAD segments): the size that
 * matters at run time, independent of debug info and symbols. */
static long loaded_size(const char *p) {
  FILE *f = fopen(p, "rb");
  if (!f)
    return -1;
  Elf64_Ehdr eh;
  long total = 0;
  if (fread(&eh, sizeof eh, 1, f) != 1 || eh.e_ident[EI_CLASS] != ELFCLASS64)
    goto out;
  for (int i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    if (fseek(f, (long)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize),
              SEEK_SET) != 0 ||
        fread(&ph, sizeof ph, 1, f) != 1)
      break;
    if (ph.p_type == PT_LOAD)
      total += (long)ph.p_filesz;
  }
out:
  fclose(f);
  return total;
}

static void row(const char *name, const stats *s, long size) {
  printf("  %-28s %9.2f %9.2f %10ld %10ld %10ld %6d\n", name, s->med_ms,
         s->p95_ms, s->med_rss, s->max_rss, size, s->failures);
}

static void ratio(const char *what, const stats *a, const stats *b, long sa,
                  long sb) {
  printf("  %-28s %9.2fx %8.2fx %9.2fx %9.2fx %9.2fx\n", what,
         b->med_ms > 0 ? a->med_ms / b->med_ms : 0,
         b->p95_ms > 0 ? a->p95_ms / b->p95_ms : 0,
         b->med_rss ? (double)a->med_rss / (double)b->med_rss : 0,
         b->max_rss ? (double)a->max_rss / (double)b->max_rss : 0,
         sb > 0 ? (double)sa / (double)sb : 0);
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 200;
  if (runs < 1)
    runs = 1;
  ecsb_httpd_opts o;
  ecsb_httpd_opts_default(&o);
  ecsb_httpd *h = NULL;
  ecsb_err err = {0};
  if (ecsb_httpd_start(&o, handler, NULL, &h, &err) != 0) {
    fprintf(stderr, "bench_init: %s\n", err.msg);
    return 1;
  }
  char base[64], addr[64], dir[] = "/tmp/ecsb-bench-init-XXXXXX";
  snprintf(base, sizeof base, "http://127.0.0.1:%u", ecsb_httpd_port(h));
  snprintf(addr, sizeof addr, "127.0.0.1:%u", ecsb_httpd_port(h));
  if (!mkdtemp(dir))
    return 1;
  char out[128], bout[128], md[128], cons[128], creds[128];
  snprintf(out, sizeof out, "%s/out", dir);
  snprintf(bout, sizeof bout, "%s/bare-out", dir);
  snprintf(md, sizeof md, "ECS_CONTAINER_METADATA_URI_V4=%s", base);
  snprintf(cons, sizeof cons, "CONSUL_HTTP_ADDR=%s", addr);
  snprintf(creds, sizeof creds, "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s/creds",
           base);
  char ecs_env[128], creds_url[128];
  snprintf(ecs_env, sizeof ecs_env, "AWS_ENDPOINT_URL_ECS=%s", base);
  snprintf(creds_url, sizeof creds_url, "%s/creds", base);
  char *envp[] = {md,
                  cons,
                  creds,
                  ecs_env,
                  "AWS_REGION=us-east-1",
                  "AWS_CONTAINER_AUTHORIZATION_TOKEN=bench",
                  "ECSBOOT_LOG_LEVEL=error",
                  "PATH=/usr/bin:/bin",
                  NULL};
  char boot_flag[160], out_flag[160];
  snprintf(boot_flag, sizeof boot_flag, "-envoy-bootstrap-file=%s", out);
  snprintf(out_flag, sizeof out_flag, "-out=%s", out);
  const char *mesh[] = {ECSB_INIT_BIN, "mesh-init",          boot_flag,
                        "-port=8080",  "-upstreams=db:5432", NULL};
  const char *mesh_bare[] = {ECSB_BARE_BIN, "mesh", base, base, bout, NULL};
  const char *disc[] = {
      ECSB_INIT_BIN,     "discover-servers", "-service-name=consul-server",
      "--cluster=bench", out_flag,           NULL};
  const char *disc_bare[] = {ECSB_BARE_BIN, "discover", creds_url,
                             base,          bout,       NULL};
  /* Warm the page cache and the stand-in before measuring. */
  sample warm;
  run_once(mesh, envp, &warm);
  run_once(mesh_bare, envp, &warm);

  long init_size = file_size(ECSB_INIT_BIN),
       bare_size = file_size(ECSB_BARE_BIN);
  printf("bench_init: %d runs each, loopback stand-ins, %s\n", runs,
         "wall time from spawn to exit");
  printf("  %-28s %9s %9s %10s %10s %10s %6s\n", "program", "med ms", "p95 ms",
         "med RSS KB", "max RSS KB", "size B", "fails");
  stats m = measure(mesh, envp, runs);
  stats mb = measure(mesh_bare, envp, runs);
  row("ecsboot-init mesh-init", &m, init_size);
  row("bare C (same 5 calls+write)", &mb, bare_size);
  stats d = measure(disc, envp, runs);
  stats db = measure(disc_bare, envp, runs);
  row("ecsboot-init discover-servers", &d, init_size);
  row("bare C (same 3 calls+write)", &db, bare_size);
  printf("  ratio ecsboot-init / bare:    %9s %9s %10s %10s %10s\n", "med",
         "p95", "med RSS", "max RSS", "size");
  ratio("mesh-init", &m, &mb, init_size, bare_size);
  ratio("discover-servers", &d, &db, init_size, bare_size);
  printf("  loaded (PT_LOAD) bytes: ecsboot-init %ld, bare_init %ld (%.2fx)\n",
         loaded_size(ECSB_INIT_BIN), loaded_size(ECSB_BARE_BIN),
         (double)loaded_size(ECSB_INIT_BIN) /
             (double)loaded_size(ECSB_BARE_BIN));
  printf("(sizes are of the executables; both link the same shared libcurl "
         "and libc; bare_init parses nothing, validates nothing, signs "
         "nothing)\n");
  unlink(out);
  unlink(bout);
  rmdir(dir);
  ecsb_httpd_stop(h);
  return 0;
}
