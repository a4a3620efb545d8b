/*
 * junit.h - JUnit XML as CI systems read it (the Ant/Jenkins "junit-4"
 * shape): <testsuites> holding one <testsuite> per run (scenario), one
 * <testcase> per expectation with its decision time, <failure> (failed)
 * or <error> (undecided) whose message names the breaking events,
 * <properties> with seed and time_scale, and the event log path in
 * <system-out>. All text is XML-escaped; any input gives a well-formed
 * document.
 */
#ifndef RPT_JUNIT_H
#define RPT_JUNIT_H

#include "rpt/run.h"
#include "rpt/strbuf.h"

void rpt_junit_render(rpt_run *const *runs, size_t n, ecsb_buf *out);

#endif
