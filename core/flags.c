/*
 * flags.c - the flag parser behind every ecsboot-init subcommand (see
 * flags.h). Table-driven so each subcommand declares its flags once and gets
 * parsing, validation and --help from the same data: help text can never
 * drift from what is accepted.
 */
#include "ecsb/flags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsb/duration.h"

static const ecsb_flag *find_flag(const ecsb_flagset *fs, const char *name,
                                  size_t len) {
  for (size_t i = 0; i < fs->n_flags; i++) {
    const ecsb_flag *f = &fs->flags[i];
    if (strlen(f->name) == len && strncmp(f->name, name, len) == 0)
      return f;
    if (f->alias && strlen(f->alias) == len &&
        strncmp(f->alias, name, len) == 0)
      return f;
  }
  return NULL;
}

static int parse_bool(const char *v, bool *out) {
  static const char *t[] = {"1", "t", "T", "true", "TRUE", "True"};
  static const char *f[] = {"0", "f", "F", "false", "FALSE", "False"};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    if (strcmp(v, t[i]) == 0) {
      *out = true;
      return 0;
    }
    if (strcmp(v, f[i]) == 0) {
      *out = false;
      return 0;
    }
  }
  return -1;
}

static int set_value(const ecsb_flag *f, const char *shown, const char *v,
                     ecsb_err *err) {
  switch (f->type) {
  case ECSB_FLAG_STRING:
    *(const char **)f->dest = v;
    break;
  case ECSB_FLAG_BOOL:
    if (parse_bool(v, (bool *)f->dest) != 0)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "flag %s: \"%s\" is not a boolean (true or false)",
                          shown, v);
    break;
  case ECSB_FLAG_INT: {
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    bool bounded = f->min != 0 || f->max != 0;
    if (!*v || *end || errno == ERANGE ||
        (bounded && (n < f->min || n > f->max))) {
      if (bounded)
        return ecsb_err_set(err, ECSB_EINVAL,
                            "flag %s: \"%s\" is not an integer in [%lld, %lld]",
                            shown, v, (long long)f->min, (long long)f->max);
      return ecsb_err_set(err, ECSB_EINVAL, "flag %s: \"%s\" is not an integer",
                          shown, v);
    }
    *(int64_t *)f->dest = n;
    break;
  }
  case ECSB_FLAG_DURATION: {
    int64_t ns = 0;
    ecsb_err derr = {0};
    if (ecsb_duration_parse(v, &ns, &derr) != 0)
      return ecsb_err_set(err, ECSB_EINVAL,
                          "flag %s: \"%s\" is not a duration (e.g. 5s, 1m30s): "
                          "%s",
                          shown, v, derr.msg);
    bool bounded = f->min != 0 || f->max != 0;
    if (bounded && (ns < f->min || ns > f->max)) {
      char a[32], b[32];
      return ecsb_err_set(err, ECSB_EINVAL,
                          "flag %s: %s is out of range [%s, %s]", shown, v,
                          ecsb_duration_format(f->min, a, sizeof a),
                          ecsb_duration_format(f->max, b, sizeof b));
    }
    *(int64_t *)f->dest = ns;
    break;
  }
  }
  if (f->was_set)
    *f->was_set = true;
  return 0;
}

int ecsb_flags_parse(const ecsb_flagset *fs, int argc, char **argv, char **pos,
                     size_t pos_cap, size_t *n_pos, ecsb_err *err) {
  size_t np = 0;
  bool only_pos = false;
  for (int i = 0; i < argc; i++) {
    char *a = argv[i];
    if (only_pos || a[0] != '-' || a[1] == '\0') {
      if (np >= pos_cap)
        return ecsb_err_set(err, ECSB_EINVAL, "unexpected argument \"%s\"", a);
      pos[np++] = a;
      continue;
    }
    if (strcmp(a, "--") == 0) {
      only_pos = true;
      continue;
    }
    const char *name = a + 1;
    if (*name == '-')
      name++;
    if (*name == '-' || *name == '=' || *name == '\0')
      return ecsb_err_set(err, ECSB_EINVAL, "bad flag syntax \"%s\"", a);
    const char *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    if ((nlen == 1 && name[0] == 'h') ||
        (nlen == 4 && strncmp(name, "help", 4) == 0))
      return ECSB_FLAGS_HELP;
    const ecsb_flag *f = find_flag(fs, name, nlen);
    if (!f)
      return ecsb_err_set(err, ECSB_EINVAL, "unknown flag -%.*s (see --help)",
                          (int)nlen, name);
    char shown[80];
    snprintf(shown, sizeof shown, "-%s", f->name);
    const char *v;
    if (eq) {
      v = eq + 1;
    } else if (f->type == ECSB_FLAG_BOOL) {
      v = "true";
    } else {
      if (i + 1 >= argc)
        return ecsb_err_set(err, ECSB_EINVAL, "flag %s needs a value (%s)",
                            shown, f->metavar ? f->metavar : "VALUE");
      v = argv[++i];
    }
    int rc = set_value(f, shown, v, err);
    if (rc)
      return rc;
  }
  if (n_pos)
    *n_pos = np;
  return 0;
}

void ecsb_flags_usage(const ecsb_flagset *fs, FILE *out) {
  fprintf(out, "Usage: %s [flags]%s%s\n\n", fs->command, fs->args ? " " : "",
          fs->args ? fs->args : "");
  if (fs->summary)
    fprintf(out, "%s\n\n", fs->summary);
  if (fs->n_flags)
    fprintf(out, "Flags (write -flag or --flag, value as =VALUE or as the "
                 "next argument):\n");
  for (size_t i = 0; i < fs->n_flags; i++) {
    const ecsb_flag *f = &fs->flags[i];
    char left[96];
    if (f->type == ECSB_FLAG_BOOL)
      snprintf(left, sizeof left, "--%s", f->name);
    else
      snprintf(left, sizeof left, "--%s %s", f->name,
               f->metavar ? f->metavar : "VALUE");
    fprintf(out, "  %-34s %s\n", left, f->help ? f->help : "");
    if (f->alias) {
      char alias[96];
      snprintf(alias, sizeof alias, "%s%s", f->alias[1] ? "--" : "-", f->alias);
      fprintf(out, "  %-34s (same as --%s)\n", alias, f->name);
    }
  }
  fprintf(out, "  %-34s %s\n", "--help", "show this text");
  if (fs->epilog)
    fprintf(out, "\n%s", fs->epilog);
}

void ecsb_strv_free(char **v) {
  if (!v)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}

int ecsb_split_list(const char *s, const char *what, char ***out, size_t *n,
                    ecsb_err *err) {
  *out = NULL;
  *n = 0;
  size_t cap = 1;
  for (const char *p = s; *p; p++)
    if (*p == ',')
      cap++;
  char **v = calloc(cap + 1, sizeof *v);
  if (!v)
    return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
  size_t k = 0;
  const char *p = s;
  while (*s) {
    const char *c = strchr(p, ',');
    const char *end = c ? c : p + strlen(p);
    const char *b = p;
    while (b < end && (*b == ' ' || *b == '\t'))
      b++;
    const char *e = end;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
      e--;
    if (e == b) {
      ecsb_strv_free(v);
      return ecsb_err_set(err, ECSB_EINVAL, "%s: empty item in \"%s\"", what,
                          s);
    }
    v[k] = strndup(b, (size_t)(e - b));
    if (!v[k]) {
      ecsb_strv_free(v);
      return ecsb_err_set(err, ECSB_ENOMEM, "out of memory");
    }
    k++;
    if (!c)
      break;
    p = c + 1;
  }
  *out = v;
  *n = k;
  return 0;
}
