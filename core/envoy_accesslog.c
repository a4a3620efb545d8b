/*
 * envoy_accesslog.c - the admin access log Consul 1.15+ writes into the
 * bootstrap when the proxy's Proxy.AccessLogs (from proxy-defaults) is
 * enabled: one logger named "Consul Listener Filter Log" to stdout,
 * stderr or a file, in Consul's default JSON format or the user's JSON or
 * text format. Called by ecsb_envoy_bootstrap_build; pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/envoy_bootstrap.h"
#include "ecsb/json.h"

/* Consul's default access log format, field by field. */
static const char *const default_json_format[][2] = {
    {"authority", "%REQ(:AUTHORITY)%"},
    {"bytes_received", "%BYTES_RECEIVED%"},
    {"bytes_sent", "%BYTES_SENT%"},
    {"connection_termination_details", "%CONNECTION_TERMINATION_DETAILS%"},
    {"downstream_local_address", "%DOWNSTREAM_LOCAL_ADDRESS%"},
    {"downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%"},
    {"duration", "%DURATION%"},
    {"method", "%REQ(:METHOD)%"},
    {"path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"},
    {"protocol", "%PROTOCOL%"},
    {"request_id", "%REQ(X-REQUEST-ID)%"},
    {"requested_server_name", "%REQUESTED_SERVER_NAME%"},
    {"response_code", "%RESPONSE_CODE%"},
    {"response_code_details", "%RESPONSE_CODE_DETAILS%"},
    {"response_flags", "%RESPONSE_FLAGS%"},
    {"route_name", "%ROUTE_NAME%"},
    {"start_time", "%START_TIME%"},
    {"upstream_cluster", "%UPSTREAM_CLUSTER%"},
    {"upstream_host", "%UPSTREAM_HOST%"},
    {"upstream_local_address", "%UPSTREAM_LOCAL_ADDRESS%"},
    {"upstream_service_time", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%"},
    {"upstream_transport_failure_reason",
     "%UPSTREAM_TRANSPORT_FAILURE_REASON%"},
    {"user_agent", "%REQ(USER-AGENT)%"},
    {"x_forwarded_for", "%REQ(X-FORWARDED-FOR)%"},
};

int ecsb_envoy_access_logs(const cJSON *al, const char *path, cJSON **out,
                           ecsb_err *err) {
  *out = NULL;
  if (!al || cJSON_IsNull(al))
    return 0;
  if (!cJSON_IsObject(al))
    return ecsb_err_set(err, ECSB_EINVAL, "%s: expected an object", path);
  const cJSON *en = cJSON_GetObjectItemCaseSensitive(al, "Enabled");
  if (!cJSON_IsTrue(en))
    return 0;
  const char *type = NULL, *file = NULL, *jf = NULL, *tf = NULL;
  int rc;
  if ((rc = ecsb_json_get_string(al, path, "Type", false, &type, err)) ||
      (rc = ecsb_json_get_string(al, path, "Path", false, &file, err)) ||
      (rc = ecsb_json_get_string(al, path, "JSONFormat", false, &jf, err)) ||
      (rc = ecsb_json_get_string(al, path, "TextFormat", false, &tf, err)))
    return rc;
  if (jf && *jf && tf && *tf)
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s: JSONFormat and TextFormat are exclusive", path);
  const char *at;
  if (!type || !*type || !strcmp(type, "stdout")) {
    at = "type.googleapis.com/"
         "envoy.extensions.access_loggers.stream.v3.StdoutAccessLog";
  } else if (!strcmp(type, "stderr")) {
    at = "type.googleapis.com/"
         "envoy.extensions.access_loggers.stream.v3.StderrAccessLog";
  } else if (!strcmp(type, "file")) {
    if (!file || !*file)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "%s.Path: required when Type is \"file\"", path);
    at = "type.googleapis.com/"
         "envoy.extensions.access_loggers.file.v3.FileAccessLog";
  } else {
    return ecsb_err_set(err, ECSB_EINVAL,
                        "%s.Type: \"%s\": expected stdout, stderr or file",
                        path, type);
  }
  cJSON *fmt = cJSON_CreateObject();
  if (tf && *tf) {
    /* Envoy writes a text line as given: Consul ends it with a newline. */
    size_t n = strlen(tf);
    char *line = malloc(n + 2);
    if (!line) {
      cJSON_Delete(fmt);
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    }
    memcpy(line, tf, n + 1);
    if (tf[n - 1] != '\n')
      strcat(line, "\n");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(fmt, "textFormatSource"),
                            "inlineString", line);
    free(line);
  } else if (jf && *jf) {
    char what[300];
    cJSON *j = NULL;
    snprintf(what, sizeof what, "%s.JSONFormat", path);
    if ((rc = ecsb_json_parse(jf, strlen(jf), what, &j, err))) {
      cJSON_Delete(fmt);
      return rc;
    }
    if (!cJSON_IsObject(j)) {
      cJSON_Delete(j);
      cJSON_Delete(fmt);
      return ecsb_err_set(err, ECSB_EINVAL, "%s: expected a JSON object", what);
    }
    cJSON_AddItemToObject(fmt, "jsonFormat", j);
  } else {
    cJSON *j = cJSON_AddObjectToObject(fmt, "jsonFormat");
    for (size_t i = 0;
         i < sizeof default_json_format / sizeof default_json_format[0]; i++)
      cJSON_AddStringToObject(j, default_json_format[i][0],
                              default_json_format[i][1]);
  }
  cJSON *arr = cJSON_CreateArray(), *l = cJSON_CreateObject();
  cJSON_AddItemToArray(arr, l);
  cJSON_AddStringToObject(l, "name", "Consul Listener Filter Log");
  cJSON *tc = cJSON_AddObjectToObject(l, "typedConfig");
  cJSON_AddStringToObject(tc, "@type", at);
  if (!strcmp(at + strlen(at) - 13, "FileAccessLog"))
    cJSON_AddStringToObject(tc, "path", file);
  cJSON_AddItemToObject(tc, "logFormat", fmt);
  *out = arr;
  return 0;
}
