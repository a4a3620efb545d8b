/*
 * serve.c - the standalone fake Consul behind `ecsboot serve`: one server
 * and one agent joined to it, on loopback addresses, plus a description of
 * where they listen for people pointing curl or a Consul client at them.
 * Owns nothing global; the caller's main handles signals.
 */
#include <stdlib.h>

#include "fcon_internal.h"

struct fcon_serve {
  fcon_server *server;
  fcon_agent *agent;
};

void fcon_serve_opts_default(fcon_serve_opts *o) {
  *o = (fcon_serve_opts){.server_ip = "127.0.0.10",
                         .server_port = 8500,
                         .agent_ip = "127.0.0.11",
                         .agent_port = 8500,
                         .node_name = "ecsboot-agent",
                         .time_scale = 1.0,
                         .threads = 2};
}

int fcon_serve_start(const fcon_serve_opts *o, fcon_serve **out,
                     ecsb_err *err) {
  *out = NULL;
  fcon_serve_opts d;
  fcon_serve_opts_default(&d);
  if (!o)
    o = &d;
  fcon_serve *s = calloc(1, sizeof *s);
  if (!s)
    return ecsb_err_set(err, ECSB_ENOMEM, "fcon serve: out of memory");
  fcon_server_config sc;
  fcon_server_config_default(&sc);
  sc.bind_ip = o->server_ip ? o->server_ip : d.server_ip;
  sc.port = o->server_port;
  sc.acl = o->acl;
  sc.on_event = o->on_event;
  sc.event_user = o->event_user;
  sc.threads = o->threads;
  int rc = fcon_server_start(&sc, &s->server, err);
  if (rc < 0)
    goto fail;
  fcon_agent_config ac;
  fcon_agent_config_default(&ac);
  ac.bind_ip = o->agent_ip ? o->agent_ip : d.agent_ip;
  ac.port = o->agent_port;
  ac.node_name = o->node_name ? o->node_name : d.node_name;
  ac.server = s->server;
  ac.join_on_start = true;
  ac.time_scale = o->time_scale;
  ac.sync_delay_ms = o->sync_delay_ms;
  ac.acl = o->acl;
  ac.on_event = o->on_event;
  ac.event_user = o->event_user;
  ac.threads = o->threads;
  rc = fcon_agent_start(&ac, &s->agent, err);
  if (rc < 0)
    goto fail;
  *out = s;
  return 0;
fail:
  fcon_serve_stop(s);
  return rc;
}

fcon_server *fcon_serve_server(fcon_serve *s) {
  return s->server;
}

fcon_agent *fcon_serve_agent(fcon_serve *s) {
  return s->agent;
}

void fcon_serve_describe(const fcon_serve *s, FILE *f) {
  const char *aip = fcon_agent_ip(s->agent);
  unsigned ap = fcon_agent_port(s->agent);
  fprintf(f,
          "fake Consul server: http://%s:%u (leader %s:8300)\n"
          "fake Consul agent:  http://%s:%u (node %s, joined)\n"
          "\n"
          "  export CONSUL_HTTP_ADDR=http://%s:%u\n"
          "  curl -s http://%s:%u/v1/agent/self\n"
          "  curl -s -X PUT -d '{\"Name\":\"web\",\"Port\":8080}' "
          "http://%s:%u/v1/agent/service/register\n"
          "  curl -s http://%s:%u/v1/agent/services\n"
          "  curl -s 'http://%s:%u/v1/health/service/web?passing'\n"
          "  curl -s http://%s:%u/v1/catalog/services\n",
          fcon_server_ip(s->server), (unsigned)fcon_server_port(s->server),
          fcon_server_ip(s->server), aip, ap, fcon_agent_node(s->agent), aip,
          ap, aip, ap, aip, ap, aip, ap, aip, ap, fcon_server_ip(s->server),
          (unsigned)fcon_server_port(s->server));
  fflush(f);
}

void fcon_serve_stop(fcon_serve *s) {
  if (!s)
    return;
  fcon_agent_stop(s->agent);
  fcon_server_stop(s->server);
  free(s);
}
