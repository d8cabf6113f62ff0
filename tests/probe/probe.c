// probe: a static checker run inside containers by the e2e suites.
//
// Prints one JSON object describing what the process observes: ids, the five
// capability sets, no_new_privs, seccomp mode, umask, cwd, host and domain
// name, every rlimit, oom_score_adj, personality, namespace inodes, mounts,
// cgroups, id maps and environment. Optional actions given as arguments run
// in order and are reported under "actions":
//
//   probe syscall mkdir PATH   mkdir(PATH, 0755), report errno
//   probe read FILE            read FILE, report content (first 4 KiB) or errno
//   probe write FILE [DATA]    create/truncate FILE and write DATA, report errno
//   probe ls DIR               list DIR entries
//   probe fds                  open fds and their targets
//   probe exit N               print the report, then exit with status N
//
// Built with `gcc -static -O2`: no dependencies, no NSS, no allocation beyond
// the stack, so it runs in a rootfs holding nothing but itself.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

static int first_item;

static void put_str(const char* s) {
  putchar('"');
  for (const unsigned char* p = (const unsigned char*)s; *p; p++) {
    switch (*p) {
      case '"': fputs("\\\"", stdout); break;
      case '\\': fputs("\\\\", stdout); break;
      case '\n': fputs("\\n", stdout); break;
      case '\t': fputs("\\t", stdout); break;
      default:
        if (*p < 0x20 || *p >= 0x7f) printf("\\u%04x", *p);
        else putchar(*p);
    }
  }
  putchar('"');
}

static void sep(void) {
  if (!first_item) putchar(',');
  first_item = 0;
}

static void key(const char* k) {
  sep();
  put_str(k);
  putchar(':');
}

static void kv_str(const char* k, const char* v) {
  key(k);
  put_str(v);
}

static void kv_int(const char* k, long long v) {
  key(k);
  printf("%lld", v);
}

// Reads a whole small file into buf; returns length or -errno.
static ssize_t slurp(const char* path, char* buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t n = 0;
  while (n + 1 < size) {
    ssize_t r = read(fd, buf + n, size - 1 - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return -e;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  buf[n] = 0;
  close(fd);
  return (ssize_t)n;
}

// Value of "Name:\t..." in /proc/self/status, trimmed.
static const char* status_field(const char* status, const char* name, char* out, size_t size) {
  size_t len = strlen(name);
  for (const char* line = status; line && *line;) {
    const char* nl = strchr(line, '\n');
    if (strncmp(line, name, len) == 0 && line[len] == ':') {
      const char* v = line + len + 1;
      while (*v == ' ' || *v == '\t') v++;
      size_t n = nl ? (size_t)(nl - v) : strlen(v);
      if (n >= size) n = size - 1;
      memcpy(out, v, n);
      out[n] = 0;
      return out;
    }
    line = nl ? nl + 1 : NULL;
  }
  out[0] = 0;
  return out;
}

// Emits a file's lines as a JSON array of strings.
static void lines_array(const char* k, const char* path) {
  static char buf[65536];
  key(k);
  ssize_t n = slurp(path, buf, sizeof buf);
  if (n < 0) {
    fputs("null", stdout);
    return;
  }
  putchar('[');
  int first = 1;
  for (char* line = buf; *line;) {
    char* nl = strchr(line, '\n');
    if (nl) *nl = 0;
    if (!first) putchar(',');
    first = 0;
    put_str(line);
    if (!nl) break;
    line = nl + 1;
  }
  putchar(']');
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
static void unescape(char* s) {
  char* w = s;
  for (char* r = s; *r; r++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
        r[3] <= '7') {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 3;
    } else {
      *w++ = *r;
    }
  }
  *w = 0;
}

static void mounts(void) {
  static char buf[262144];
  key("mounts");
  if (slurp("/proc/self/mountinfo", buf, sizeof buf) < 0) {
    fputs("null", stdout);
    return;
  }
  putchar('[');
  int first = 1;
  for (char* line = buf; line && *line;) {
    char* nl = strchr(line, '\n');
    if (nl) *nl = 0;
    // id parent major:minor root mountpoint options [optional...] - fstype source super
    char* f[16];
    int nf = 0;
    for (char* tok = strtok(line, " "); tok && nf < 16; tok = strtok(NULL, " ")) f[nf++] = tok;
    int dash = -1;
    for (int i = 6; i < nf; i++)
      if (strcmp(f[i], "-") == 0) {
        dash = i;
        break;
      }
    if (nf >= 6 && dash > 0 && dash + 3 < nf + 1) {
      unescape(f[3]);
      unescape(f[4]);
      if (!first) putchar(',');
      first = 0;
      printf("{\"target\":");
      put_str(f[4]);
      printf(",\"root\":");
      put_str(f[3]);
      printf(",\"fstype\":");
      put_str(dash + 1 < nf ? f[dash + 1] : "");
      printf(",\"source\":");
      put_str(dash + 2 < nf ? f[dash + 2] : "");
      printf(",\"options\":");
      put_str(f[5]);
      printf(",\"super\":");
      put_str(dash + 3 < nf ? f[dash + 3] : "");
      putchar('}');
    }
    line = nl ? nl + 1 : NULL;
  }
  putchar(']');
}

static void namespaces(void) {
  static const char* kinds[] = {"cgroup", "ipc",  "mnt",  "net",  "pid", "pid_for_children",
                                "time",   "time_for_children", "user", "uts"};
  key("ns");
  putchar('{');
  first_item = 1;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    char path[64], target[128];
    snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) continue;
    target[n] = 0;
    char* lb = strchr(target, '[');
    if (!lb) continue;
    kv_int(kinds[i], strtoll(lb + 1, NULL, 10));
  }
  putchar('}');
  first_item = 0;
}

static const struct {
  const char* name;
  int resource;
} kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

static void rlimits(void) {
  key("rlimits");
  putchar('{');
  first_item = 1;
  for (size_t i = 0; i < sizeof kRlimits / sizeof kRlimits[0]; i++) {
    struct rlimit rl;
    if (getrlimit(kRlimits[i].resource, &rl) != 0) continue;
    key(kRlimits[i].name);
    // RLIM_INFINITY prints as 18446744073709551615, the runtime-spec's own encoding.
    printf("{\"soft\":%llu,\"hard\":%llu}", (unsigned long long)rl.rlim_cur,
           (unsigned long long)rl.rlim_max);
  }
  putchar('}');
  first_item = 0;
}

static void action_result(const char* action, const char* arg, int err) {
  printf("{\"action\":");
  put_str(action);
  printf(",\"arg\":");
  put_str(arg ? arg : "");
  printf(",\"errno\":%d,\"error\":", err);
  put_str(err ? strerror(err) : "");
}

static void do_read(const char* path) {
  static char buf[4097];
  ssize_t n = slurp(path, buf, sizeof buf);
  action_result("read", path, n < 0 ? (int)-n : 0);
  printf(",\"data\":");
  put_str(n < 0 ? "" : buf);
  putchar('}');
}

static void do_write(const char* path, const char* data) {
  int err = 0;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    err = errno;
  } else {
    size_t len = strlen(data);
    if (write(fd, data, len) != (ssize_t)len) err = errno ? errno : EIO;
    if (close(fd) != 0 && !err) err = errno;
  }
  action_result("write", path, err);
  putchar('}');
}

static void do_ls(const char* path) {
  DIR* d = opendir(path);
  action_result("ls", path, d ? 0 : errno);
  printf(",\"entries\":[");
  if (d) {
    int first = 1;
    for (struct dirent* e; (e = readdir(d));) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      if (!first) putchar(',');
      first = 0;
      put_str(e->d_name);
    }
    closedir(d);
  }
  printf("]}");
}

static void do_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  action_result("fds", NULL, d ? 0 : errno);
  printf(",\"fds\":{");
  if (d) {
    int self = dirfd(d), first = 1;
    for (struct dirent* e; (e = readdir(d));) {
      if (e->d_name[0] == '.' || atoi(e->d_name) == self) continue;
      char path[300], target[PATH_MAX];
      snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
      ssize_t n = readlink(path, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = 0;
      if (!first) putchar(',');
      first = 0;
      put_str(e->d_name);
      putchar(':');
      put_str(target);
    }
    closedir(d);
  }
  printf("}}");
}

static int is_action(const char* s) {
  static const char* names[] = {"syscall", "read", "write", "ls", "fds", "exit"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(s, names[i]) == 0) return 1;
  return 0;
}

static int usage(void) {
  fputs("usage: probe [syscall mkdir PATH | read FILE | write FILE [DATA] | ls DIR | fds | exit N]...\n",
        stderr);
  return 2;
}

int main(int argc, char** argv) {
  static char status[16384], field[256], buf[4096];
  int exit_code = 0;

  // Validate the actions before printing anything, so a typo is an error, not a report.
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "syscall") == 0 && i + 2 < argc && strcmp(argv[i + 1], "mkdir") == 0) i += 2;
    else if ((strcmp(argv[i], "read") == 0 || strcmp(argv[i], "ls") == 0 || strcmp(argv[i], "exit") == 0) &&
             i + 1 < argc) i += 1;
    else if (strcmp(argv[i], "write") == 0 && i + 1 < argc) i += (i + 2 < argc && !is_action(argv[i + 2])) ? 2 : 1;
    else if (strcmp(argv[i], "fds") == 0) continue;
    else return usage();
  }

  // Observe umask before anything else creates files.
  mode_t mask = umask(0);
  umask(mask);

  slurp("/proc/self/status", status, sizeof status);
  first_item = 1;
  putchar('{');
  kv_int("pid", getpid());
  kv_int("ppid", getppid());
  kv_int("uid", getuid());
  kv_int("euid", geteuid());
  kv_int("gid", getgid());
  kv_int("egid", getegid());
  gid_t groups[256];
  int ng = getgroups(256, groups);
  key("groups");
  putchar('[');
  for (int i = 0; i < ng; i++) printf(i ? ",%u" : "%u", groups[i]);
  putchar(']');

  key("caps");
  putchar('{');
  first_item = 1;
  static const char* capsets[][2] = {{"inheritable", "CapInh"}, {"permitted", "CapPrm"},
                                     {"effective", "CapEff"},   {"bounding", "CapBnd"},
                                     {"ambient", "CapAmb"}};
  for (int i = 0; i < 5; i++) kv_str(capsets[i][0], status_field(status, capsets[i][1], field, sizeof field));
  putchar('}');
  first_item = 0;

  kv_int("no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  status_field(status, "Seccomp", field, sizeof field);
  kv_int("seccomp", field[0] ? atoi(field) : -1);
  kv_int("umask", mask);
  kv_str("cwd", getcwd(buf, sizeof buf) ? buf : "");
  struct utsname uts;
  uname(&uts);
  kv_str("hostname", uts.nodename);
  kv_str("domainname", uts.domainname);
  rlimits();
  kv_int("oom_score_adj", slurp("/proc/self/oom_score_adj", buf, sizeof buf) > 0 ? atoi(buf) : -9999);
  kv_int("personality", personality(0xffffffff));
  namespaces();
  mounts();
  lines_array("cgroup", "/proc/self/cgroup");
  lines_array("uid_map", "/proc/self/uid_map");
  lines_array("gid_map", "/proc/self/gid_map");
  extern char** environ;
  key("env");
  putchar('[');
  for (char** e = environ; *e; e++) {
    if (e != environ) putchar(',');
    put_str(*e);
  }
  putchar(']');

  key("actions");
  putchar('[');
  for (int i = 1; i < argc; i++) {
    if (i > 1) putchar(',');
    if (strcmp(argv[i], "syscall") == 0) {
      const char* path = argv[i + 2];
      int err = mkdir(path, 0755) == 0 ? 0 : errno;
      action_result("syscall mkdir", path, err);
      putchar('}');
      i += 2;
    } else if (strcmp(argv[i], "read") == 0) {
      do_read(argv[++i]);
    } else if (strcmp(argv[i], "write") == 0) {
      const char* path = argv[++i];
      const char* data = (i + 1 < argc && !is_action(argv[i + 1])) ? argv[++i] : "probe\n";
      do_write(path, data);
    } else if (strcmp(argv[i], "ls") == 0) {
      do_ls(argv[++i]);
    } else if (strcmp(argv[i], "fds") == 0) {
      do_fds();
    } else if (strcmp(argv[i], "exit") == 0) {
      exit_code = atoi(argv[++i]);
      printf("{\"action\":\"exit\",\"arg\":\"%d\"}", exit_code);
    }
  }
  printf("]}\n");
  fflush(stdout);
  return exit_code;
}
