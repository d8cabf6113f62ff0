#include "engine/container_update.h"

#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"
#include "monitor/settings.h"

namespace hutch::engine {

namespace {

constexpr int64_t kMinMemory = 6 * 1024 * 1024;  // docker's linuxMinMemory
constexpr int64_t kCfsPeriod = 100000;

int64_t int_of(const json_t* o, const char* key) {
  json_t* v = json_object_get(o, key);
  return json_is_integer(v) ? static_cast<int64_t>(json_integer_value(v)) : 0;
}

Error invalid(const std::string& msg) { return Error::plain(EINVAL, msg); }

// obj[key] = v, or no member when `keep` is false.
void set_or_drop(json_t* obj, const char* key, bool keep, json_t* v) {
  if (keep) json_object_set_new(obj, key, v);
  else {
    json_object_del(obj, key);
    json_decref(v);
  }
}

json_t* child(json_t* parent, const char* key) {
  json_t* c = json_object_get(parent, key);
  if (!json_is_object(c)) {
    c = json_object();
    json_object_set_new(parent, key, c);
  }
  return c;
}

bool touches_memory(const UpdateOptions& o) { return o.memory || o.memory_swap || o.memory_reservation; }
bool touches_cpu(const UpdateOptions& o) { return o.cpus || o.cpu_shares || o.cpuset_cpus; }

std::pair<int64_t, int64_t> quota_period(int64_t nano_cpus) {
  if (nano_cpus <= 0) return {-1, kCfsPeriod};
  return {nano_cpus * kCfsPeriod / 1'000'000'000, kCfsPeriod};
}

}  // namespace

bool UpdateOptions::has_resources() const {
  return touches_memory(*this) || touches_cpu(*this) || pids_limit || blkio_weight;
}

Limits limits_of(const json_t* hc) {
  Limits l;
  l.memory = int_of(hc, "Memory");
  l.memory_swap = int_of(hc, "MemorySwap");
  if (l.memory_swap == 0 && l.memory > 0) l.memory_swap = 2 * l.memory;
  l.memory_reservation = int_of(hc, "MemoryReservation");
  l.nano_cpus = int_of(hc, "NanoCpus");
  l.cpu_shares = static_cast<uint64_t>(int_of(hc, "CpuShares"));
  l.cpuset_cpus = json::string_of(hc, "CpusetCpus");
  l.pids_limit = int_of(hc, "PidsLimit");
  l.blkio_weight = static_cast<uint16_t>(int_of(hc, "BlkioWeight"));
  return l;
}

Result<Limits> merge_limits(const Limits& cur, const UpdateOptions& o) {
  Limits m = cur;
  // docker's container.UpdateContainer and verifyPlatformContainerResources.
  if (o.memory && *o.memory != 0) {
    if (*o.memory < kMinMemory) return invalid("Minimum memory limit allowed is 6MB");
    if (cur.memory_swap > 0 && *o.memory > cur.memory_swap && !o.memory_swap)
      return invalid("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at "
                     "the same time");
    m.memory = *o.memory;
  }
  if (o.memory_swap && *o.memory_swap != 0) {
    if (m.memory == 0) return invalid("You should always set the Memory limit when using Memoryswap limit, see usage");
    if (*o.memory_swap > 0 && *o.memory_swap < m.memory)
      return invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    m.memory_swap = *o.memory_swap;
  }
  if (o.memory_reservation && *o.memory_reservation != 0) {
    if (*o.memory_reservation < kMinMemory) return invalid("Minimum memory reservation allowed is 6MB");
    m.memory_reservation = *o.memory_reservation;
  }
  if (m.memory > 0 && m.memory_reservation > 0 && m.memory < m.memory_reservation)
    return invalid("Minimum memory limit can not be less than memory reservation limit, see usage");
  if (o.cpus) m.nano_cpus = o.cpus->second ? o.cpus->first * 1'000'000'000 / o.cpus->second : 0;
  if (o.cpu_shares) m.cpu_shares = *o.cpu_shares;
  if (o.cpuset_cpus) m.cpuset_cpus = *o.cpuset_cpus;
  if (o.pids_limit) m.pids_limit = *o.pids_limit > 0 ? *o.pids_limit : 0;
  if (o.blkio_weight) {
    if (*o.blkio_weight != 0 && (*o.blkio_weight < 10 || *o.blkio_weight > 1000))
      return invalid("Range of blkio weight is from 10 to 1000");
    m.blkio_weight = *o.blkio_weight;
  }
  return m;
}

json_t* update_resources(const Limits& m, const UpdateOptions& o) {
  json_t* r = json_object();
  if (touches_memory(o)) {
    json_t* mem = json_object();
    if (m.memory > 0) json_object_set_new(mem, "limit", json_integer(m.memory));
    if (m.memory_swap != 0) json_object_set_new(mem, "swap", json_integer(m.memory_swap));
    if (m.memory_reservation > 0) json_object_set_new(mem, "reservation", json_integer(m.memory_reservation));
    json_object_set_new(r, "memory", mem);
  }
  if (touches_cpu(o)) {
    json_t* cpu = json_object();
    if (o.cpu_shares && m.cpu_shares) json_object_set_new(cpu, "shares", json_integer(static_cast<json_int_t>(m.cpu_shares)));
    if (o.cpus) {
      // No limit is quota -1 (cpu.cfs_quota_us / cpu.max "max").
      auto [quota, period] = quota_period(m.nano_cpus);
      json_object_set_new(cpu, "quota", json_integer(quota));
      json_object_set_new(cpu, "period", json_integer(period));
    }
    if (o.cpuset_cpus && !m.cpuset_cpus.empty()) json_object_set_new(cpu, "cpus", json::str(m.cpuset_cpus));
    json_object_set_new(r, "cpu", cpu);
  }
  if (o.pids_limit) json_object_set_new(r, "pids", json_pack("{s:I}", "limit", (json_int_t)(m.pids_limit > 0 ? m.pids_limit : -1)));
  if (o.blkio_weight && m.blkio_weight) json_object_set_new(r, "blockIO", json_pack("{s:i}", "weight", m.blkio_weight));
  return r;
}

void store_in_spec(json_t* spec, const Limits& m, const UpdateOptions& o) {
  json_t* res = child(child(spec, "linux"), "resources");
  if (touches_memory(o)) {
    json_t* mem = child(res, "memory");
    set_or_drop(mem, "limit", m.memory > 0, json_integer(m.memory));
    set_or_drop(mem, "swap", m.memory_swap != 0, json_integer(m.memory_swap));
    set_or_drop(mem, "reservation", m.memory_reservation > 0, json_integer(m.memory_reservation));
  }
  if (touches_cpu(o)) {
    json_t* cpu = child(res, "cpu");
    if (o.cpu_shares)
      set_or_drop(cpu, "shares", m.cpu_shares > 0, json_integer(static_cast<json_int_t>(m.cpu_shares)));
    if (o.cpus) {
      // A new cgroup starts unlimited: no limit is no member.
      auto [quota, period] = quota_period(m.nano_cpus);
      set_or_drop(cpu, "quota", m.nano_cpus > 0, json_integer(quota));
      set_or_drop(cpu, "period", m.nano_cpus > 0, json_integer(period));
    }
    if (o.cpuset_cpus) set_or_drop(cpu, "cpus", !m.cpuset_cpus.empty(), json::str(m.cpuset_cpus));
  }
  if (o.pids_limit) set_or_drop(res, "pids", m.pids_limit > 0, json_pack("{s:I}", "limit", (json_int_t)m.pids_limit));
  if (o.blkio_weight) set_or_drop(child(res, "blockIO"), "weight", m.blkio_weight > 0, json_integer(m.blkio_weight));
}

void store_in_host_config(json_t* hc, const Limits& m, const UpdateOptions& o) {
  if (touches_memory(o)) {
    json_object_set_new(hc, "Memory", json_integer(m.memory));
    json_object_set_new(hc, "MemorySwap", json_integer(m.memory_swap));
    json_object_set_new(hc, "MemoryReservation", json_integer(m.memory_reservation));
  }
  if (o.cpus) json_object_set_new(hc, "NanoCpus", json_integer(m.nano_cpus));
  if (o.cpu_shares) json_object_set_new(hc, "CpuShares", json_integer(static_cast<json_int_t>(m.cpu_shares)));
  if (o.cpuset_cpus) json_object_set_new(hc, "CpusetCpus", json::str(m.cpuset_cpus));
  if (o.pids_limit) json_object_set_new(hc, "PidsLimit", json_integer(m.pids_limit));
  if (o.blkio_weight) json_object_set_new(hc, "BlkioWeight", json_integer(m.blkio_weight));
  if (o.restart) {
    json_t* rp = json_object();
    json_object_set_new(rp, "Name", json::str(o.restart->first));
    json_object_set_new(rp, "MaximumRetryCount", json_integer(o.restart->second));
    json_object_set_new(hc, "RestartPolicy", rp);
  }
}

Status update_container(Containers& cs, const std::string& ref, const UpdateOptions& o) {
  ASSIGN_OR_RETURN(state::ContainerRow row, cs.find(ref));
  std::string what = "cannot update container " + row.id;
  ASSIGN_OR_RETURN(json::Ptr doc, Containers::config_of(row));
  json_t* hc = json_object_get(doc.get(), "HostConfig");
  if (o.restart && o.restart->first != "no" && json_is_true(json_object_get(hc, "AutoRemove")))
    return invalid(what + ": Restart policy cannot be updated because AutoRemove is enabled for the container");
  auto merged = merge_limits(limits_of(hc), o);
  if (!merged.ok()) return invalid(what + ": " + merged.error().message());

  // Live first: a change the runtime refuses is not stored.
  bool live = (row.status == state::Status::kRunning || row.status == state::Status::kPaused) && row.pid > 0;
  if (o.has_resources() && live) {
    json::Ptr res(update_resources(*merged, o));
    if (fs::basename(json::string_of(doc.get(), "RuntimePath")) == "crun") {
      // crun 1.8 cannot lift these limits: it writes a pids limit of -1 to
      // pids.max as is (EINVAL) and a quota of -1 as an unsigned number
      // (ERANGE). What it can write lets as much: PID_MAX_LIMIT
      // (include/linux/threads.h), the highest pids.max, and a quota of
      // every online CPU.
      if (o.pids_limit && merged->pids_limit <= 0)
        json_object_set_new(res.get(), "pids", json_pack("{s:I}", "limit", (json_int_t)4194304));
      if (o.cpus && merged->nano_cpus <= 0) {
        long n = ::sysconf(_SC_NPROCESSORS_ONLN);
        json_t* cpu = json_object_get(res.get(), "cpu");
        json_object_set_new(cpu, "quota", json_integer(static_cast<json_int_t>(n > 0 ? n : 1) * kCfsPeriod));
      }
    }
    std::string file = cs.paths().rundir(row.id) + "/update-" + std::to_string(::getpid()) + ".json";
    TRY_CTX(fs::write_file(file, json::dump(res.get()), 0600), what);
    Status st = cs.runtime_call(row, {"update", "--resources", file, row.id});
    ::unlink(file.c_str());
    if (!st.ok()) return std::move(st).error().context(what);
  }

  std::string bundle = cs.paths().dir(row.id);
  if (o.has_resources()) {
    ASSIGN_OR_RETURN(json::Ptr spec, json::parse_file(bundle + "/config.json"));
    store_in_spec(spec.get(), *merged, o);
    TRY_CTX(fs::write_file_atomic(bundle + "/config.json", json::dump(spec.get(), 1)), what);
  }
  if (o.restart) {
    ASSIGN_OR_RETURN(std::string text, fs::read_file(bundle + "/monitor.json"));
    ASSIGN_OR_RETURN(monitor::Settings ms, monitor::parse_settings(text));
    ms.restart = o.restart->first;
    ms.restart_max = o.restart->second;
    TRY_CTX(fs::write_file_atomic(bundle + "/monitor.json", monitor::to_json(ms)), what);
  }
  TRY(cs.db().update(row.id, [&](state::ContainerRow& r) -> Status {
    ASSIGN_OR_RETURN(json::Ptr d, json::parse(r.config));
    json_t* h = json_object_get(d.get(), "HostConfig");
    if (!json_is_object(h)) {
      h = json_object();
      json_object_set_new(d.get(), "HostConfig", h);
    }
    store_in_host_config(h, *merged, o);
    r.config = json::dump(d.get());
    return {};
  }));
  state::EventRow ev;
  ev.type = "container";
  ev.action = "update";
  ev.id = row.id;
  ev.attributes = "{\"name\":\"" + json_escape(row.name) + "\",\"image\":\"" + json_escape(row.image) + "\"}";
  (void)cs.db().add_event(ev);
  return {};
}

}  // namespace hutch::engine
