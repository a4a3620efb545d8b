/*
 * agent_internal.h - the fcon_agent record shared by agent.c (state, sync,
 * lifecycle), agent_http.c (endpoints) and checks.c (the check runner).
 * Every field below `mu` is guarded by mu.
 */
#ifndef FCON_AGENT_INTERNAL_H
#define FCON_AGENT_INTERNAL_H

#include <pthread.h>

#include "ecsb/clock.h"
#include "fcon_internal.h"

struct fcon_agent {
  fcon_agent_config cfg;
  char node[128];
  char version[32];
  char ip[64];
  ecsb_httpd *httpd;    /* NULL while down */
  bool listened;        /* the API has been open once */
  uint16_t port;        /* bound port, kept across down/up */
  pthread_mutex_t life; /* serialises down/up/stop */
  fcon_faults faults;
  /* Set while stopping or going down: ends blocked queries early. */
  atomic_bool cancel;
  pthread_t runner;
  bool runner_started;

  pthread_mutex_t mu;
  pthread_cond_t cv; /* ?hash= waits: every change wakes them */
  /* The check runner sleeps on its own condition until runner_due_ms (0
   * while it is awake): a change wakes it only when it makes something due
   * earlier, so a burst of registrations does not switch to the runner on
   * every request. */
  pthread_cond_t runner_cv;
  int64_t runner_due_ms;
  ecsb_rng stagger; /* cfg.check_stagger_seed's draws */
  bool stopping;
  cJSON *services; /* object: service id -> AgentService */
  /* /v1/agent/services as sent, printed once per change (reads are the
   * fake's hottest path); NULL after any change to services. */
  char *services_text;
  size_t services_len;
  fcon_check **checks;
  size_t nchecks;
  fcon_server *server; /* may join; borrowed */
  bool joined;
  bool dirty;
  int64_t dirty_at_ms;
  uint64_t local_index;
  int64_t slow_join_ms;
  /* A server in another process (remote.c): its "ip:port", or "". */
  char remote[96];
  char *push_body;    /* the newest snapshot not yet sent, or NULL */
  int64_t push_at_ms; /* not before (retry after a failed push) */
};

/* The agent's clock (config clock_us, else monotonic), in ms and in us. */
int64_t fcon_agent_now(const fcon_agent *a);
int64_t fcon_agent_now_us(const fcon_agent *a);

/* All *_locked functions expect a->mu held. */
void fcon_agent_changed_locked(fcon_agent *a);
/* Wakes the sleeping runner when due_ms comes before its own wake-up. */
void fcon_agent_kick_locked(fcon_agent *a, int64_t due_ms);
/* When the runner must next look at c (its probe, TTL expiry or
 * deregistration); INT64_MAX when nothing about c is due. */
int64_t fcon_check_next_due(const fcon_check *c);
/* Drops the cached /v1/agent/services text; after any edit of services. */
void fcon_agent_services_changed_locked(fcon_agent *a);
void fcon_agent_sync_locked(fcon_agent *a);
fcon_check *fcon_agent_find_check_locked(fcon_agent *a, const char *id);
/* Adds or replaces a check (ownership taken). */
int fcon_agent_put_check_locked(fcon_agent *a, fcon_check *c);
bool fcon_agent_del_check_locked(fcon_agent *a, const char *id);
/* Removes a service and its checks; false when unknown. */
bool fcon_agent_del_service_locked(fcon_agent *a, const char *id);
void fcon_agent_set_status_locked(fcon_agent *a, fcon_check *c,
                                  const char *status, const char *output);
void fcon_agent_emit_locked(fcon_agent *a, fcon_event_kind k,
                            const char *service_id, const char *check_id,
                            const char *status);
int fcon_agent_join_locked(fcon_agent *a, fcon_server *s);

/* Sleeps the slow-join fault, if any (without the lock). */
void fcon_agent_slow_join(fcon_agent *a);

/* remote.c */
/* Replaces the pending snapshot (takes services and checks). */
void fcon_remote_queue_locked(fcon_agent *a, cJSON *services, cJSON *checks);
/* Sends the pending snapshot, releasing the lock meanwhile; true when it
 * tried. */
bool fcon_remote_pump_locked(fcon_agent *a);
void fcon_remote_leave(fcon_agent *a, const char *remote);
void fcon_remote_proxy(fcon_agent *a, const char *remote,
                       const ecsb_httpd_req *req, ecsb_httpd_resp *resp);

/* checks.c */
void *fcon_runner_main(void *agent);

/* agent_http.c */
/* ecsb_httpd_may_block for the agent's listener. */
bool fcon_agent_may_block(void *agent, const ecsb_httpd_req *req);
void fcon_agent_handle(void *agent, const ecsb_httpd_req *req,
                       ecsb_httpd_resp *resp);

#endif
