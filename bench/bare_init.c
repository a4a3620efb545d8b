/*
 * bare_init.c - the baseline for bench_init: the least a C program can do
 * to make the same HTTP calls as `ecsboot-init mesh-init` /
 * `discover-servers` and write the result atomically. One reused libcurl
 * handle, no JSON parsing, no validation, no retries, no signing, no
 * logging. It exists only to put ecsboot-init's figures in proportion.
 *
 *   bare_init mesh METADATA_URL AGENT_URL OUT
 *   bare_init discover CREDS_URL ECS_URL OUT
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct buf {
  char *p;
  size_t n;
} buf;

static size_t on_data(char *d, size_t s, size_t n, void *u) {
  buf *b = u;
  char *np = realloc(b->p, b->n + s * n + 1);
  if (!np)
    return 0;
  memcpy(np + b->n, d, s * n);
  b->p = np;
  b->n += s * n;
  b->p[b->n] = '\0';
  return s * n;
}

static int call(CURL *h, const char *method, const char *url, const char *body,
                struct curl_slist *hdrs, buf *out) {
  free(out->p);
  out->p = NULL;
  out->n = 0;
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
  if (hdrs)
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  if (strcmp(method, "GET") != 0) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
  }
  long status = 0;
  if (curl_easy_perform(h) != CURLE_OK)
    return -1;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  return status >= 200 && status < 300 ? 0 : -1;
}

static int write_atomic(const char *path, const char *data, size_t n) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, data, n) != (ssize_t)n || fsync(fd) != 0)
    return -1;
  close(fd);
  return rename(tmp, path);
}

int main(int argc, char **argv) {
  if (argc != 5)
    return 2;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *h = curl_easy_init();
  buf b = {0};
  char url[1024];
  int rc = 1;
  if (strcmp(argv[1], "mesh") == 0) {
    snprintf(url, sizeof url, "%s/task", argv[2]);
    if (call(h, "GET", url, NULL, NULL, &b))
      goto out;
    snprintf(url, sizeof url, "%s/v1/agent/service/register", argv[3]);
    if (call(h, "PUT", url, "{\"ID\":\"web-t\",\"Name\":\"web\"}", NULL, &b) ||
        call(h, "PUT", url,
             "{\"ID\":\"web-t-sidecar-proxy\",\"Kind\":\"connect-proxy\"}",
             NULL, &b))
      goto out;
    snprintf(url, sizeof url, "%s/v1/agent/self", argv[3]);
    if (call(h, "GET", url, NULL, NULL, &b))
      goto out;
    snprintf(url, sizeof url, "%s/v1/agent/service/web-t-sidecar-proxy",
             argv[3]);
    if (call(h, "GET", url, NULL, NULL, &b))
      goto out;
  } else {
    if (call(h, "GET", argv[2], NULL, NULL, &b))
      goto out;
    struct curl_slist *hd = curl_slist_append(
        NULL, "X-Amz-Target: AmazonEC2ContainerServiceV20141113.ListTasks");
    hd = curl_slist_append(hd, "Content-Type: application/x-amz-json-1.1");
    int e =
        call(h, "POST", argv[3], "{\"serviceName\":\"consul-server\"}", hd, &b);
    curl_slist_free_all(hd);
    hd = curl_slist_append(
        NULL, "X-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeTasks");
    hd = curl_slist_append(hd, "Content-Type: application/x-amz-json-1.1");
    e = e || call(h, "POST", argv[3], "{\"tasks\":[\"a\"]}", hd, &b);
    curl_slist_free_all(hd);
    if (e)
      goto out;
  }
  rc = write_atomic(argv[4], b.p ? b.p : "", b.n) == 0 ? 0 : 1;
out:
  free(b.p);
  curl_easy_cleanup(h);
  curl_global_cleanup();
  return rc;
}
