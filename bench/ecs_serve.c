/*
 * ecs_serve.c - fake-ecs for a load benchmark: serves the ECS API on
 * IP (port 0), with five RUNNING tasks of the example task definition, and
 * writes a wrk Lua script holding one DescribeTasks request for them,
 * signed with SigV4 the way the AWS SDKs sign it. fake-ecs verifies the
 * signature of every request wrk replays (it keeps no nonce, as AWS keeps
 * none within the five-minute skew), so the figure includes verification.
 *
 *   ecs_serve IP TASKDEF.json LUA_OUT THREADS
 *
 * Prints the API URL, then "ready"; exits 0 on SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ecsb/fileio.h"
#include "ecsb/http.h"
#include "ecsb/httpd.h"
#include "ecsb/sigv4.h"
#include "fecs/fecs.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

/* A Lua string literal: every byte but letters and digits escaped. */
static void lua_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++)
    fprintf(f, "\\%03u", (unsigned char)*s);
  fputc('"', f);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s IP TASKDEF.json LUA_OUT THREADS\n", argv[0]);
    return 2;
  }
  ecsb_err err = {0};
  ecsb_httpd_tune_process();
  ecsb_http_global_init(&err);
  fecs_config c;
  fecs_config_default(&c);
  c.api_bind_ip = argv[1];
  c.metadata_bind_ip = argv[1];
  c.threads = (unsigned)atoi(argv[4]);
  c.throttle = false; /* the HTTP ceiling, not ECS's limits */
  c.create_default_cluster = true;
  fecs *f = NULL;
  char *td_text = NULL;
  size_t td_len = 0;
  cJSON *td = NULL;
  if (fecs_new(&c, &f, &err) ||
      ecsb_read_file(argv[2], 1 << 20, &td_text, &td_len, &err)) {
    fprintf(stderr, "ecs_serve: %s\n", err.msg);
    return 1;
  }
  td = cJSON_ParseWithLength(td_text, td_len);
  free(td_text);
  if (!td || fecs_task_definition_register(f, td, NULL, &err)) {
    fprintf(stderr, "ecs_serve: task definition: %s\n", err.msg);
    return 1;
  }
  const cJSON *fam = cJSON_GetObjectItemCaseSensitive(td, "family");
  cJSON *body = cJSON_CreateObject();
  cJSON_AddStringToObject(body, "cluster", "default");
  cJSON *arns = cJSON_AddArrayToObject(body, "tasks");
  for (int i = 0; i < 5; i++) {
    char arn[FECS_ARN_MAX];
    fecs_run_opts ro = {.task_definition = cJSON_GetStringValue(fam)};
    if (fecs_task_run(f, &ro, arn, &err) ||
        fecs_task_set_status(f, arn, "RUNNING", &err)) {
      fprintf(stderr, "ecs_serve: %s\n", err.msg);
      return 1;
    }
    cJSON_AddItemToArray(arns, cJSON_CreateString(arn));
  }
  cJSON_Delete(td);
  char *text = cJSON_PrintUnformatted(body);
  cJSON_Delete(body);

  const char *url = fecs_api_url(f);
  ecsb_http_header hs[2] = {
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Target", FECS_API_TARGET_PREFIX "DescribeTasks"}};
  ecsb_sigv4_params p;
  ecsb_sigv4_params_default(&p);
  p.access_key_id = fecs_access_key_id(f);
  p.secret_access_key = fecs_secret_access_key(f);
  p.region = fecs_region(f);
  p.service = "ecs";
  p.time_s = (int64_t)time(NULL);
  char target[160];
  snprintf(target, sizeof target, "%s/", url);
  ecsb_sigv4_request rq = {.method = "POST",
                           .target = target,
                           .headers = hs,
                           .n_headers = 2,
                           .body = text,
                           .body_len = strlen(text)};
  ecsb_sigv4_signed sg = {0};
  if (ecsb_sigv4_sign(&p, &rq, &sg, &err)) {
    fprintf(stderr, "ecs_serve: sign: %s\n", err.msg);
    return 1;
  }
  FILE *lua = fopen(argv[3], "w");
  if (!lua)
    return 1;
  fprintf(lua, "wrk.method = \"POST\"\nwrk.body = ");
  lua_str(lua, text);
  fprintf(lua, "\n");
  for (size_t i = 0; i < 2; i++) {
    fprintf(lua, "wrk.headers[");
    lua_str(lua, hs[i].name);
    fprintf(lua, "] = ");
    lua_str(lua, hs[i].value);
    fprintf(lua, "\n");
  }
  for (size_t i = 0; i < sg.n_headers; i++) {
    fprintf(lua, "wrk.headers[");
    lua_str(lua, sg.headers[i].name);
    fprintf(lua, "] = ");
    lua_str(lua, sg.headers[i].value);
    fprintf(lua, "\n");
  }
  fclose(lua);
  ecsb_sigv4_signed_clear(&sg);
  free(text);

  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  printf("%s\nready\n", url);
  fflush(stdout);
  while (!stop)
    sleep(1); /* a signal ends the sleep at once */
  fecs_free(f);
  ecsb_http_global_cleanup();
  return 0;
}
