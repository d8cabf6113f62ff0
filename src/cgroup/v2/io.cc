// v2 io controller: cgroup-v2.rst, "IO".
#include <map>
#include <utility>

#include "base/log.h"
#include "cgroup/internal/convert.h"
#include "cgroup/v2/v2.h"

namespace hutch::cgroup::v2 {

static std::string device(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

std::vector<Write> io_writes(const oci::BlockIo& b, bool bfq) {
  std::vector<Write> out;
  // BFQ takes blkio's own 1-1000 range; io.weight is 1-10000.
  auto weight = [&](uint64_t w) { return std::to_string(bfq ? w : blkio_to_io_weight(w)); };
  const char* file = bfq ? "io.bfq.weight" : "io.weight";
  if (b.weight.value_or(0) != 0) out.push_back({file, weight(*b.weight)});
  for (const auto& wd : b.weight_device)
    if (wd.weight.value_or(0) != 0)
      out.push_back({file, device(wd.major, wd.minor) + " " + weight(*wd.weight)});

  // io.max takes every limit of a device on one line; v1's rate 0 (no
  // limit) is "max" here.
  std::map<std::pair<int64_t, int64_t>, std::string> lines;
  auto add = [&](const std::vector<oci::ThrottleDevice>& list, const char* key) {
    for (const auto& t : list) {
      std::string& line = lines[{t.major, t.minor}];
      line += std::string(" ") + key + "=" + (t.rate ? std::to_string(t.rate) : "max");
    }
  };
  add(b.throttle_read_bps, "rbps");
  add(b.throttle_write_bps, "wbps");
  add(b.throttle_read_iops, "riops");
  add(b.throttle_write_iops, "wiops");
  for (const auto& [dev, line] : lines)
    out.push_back({"io.max", device(dev.first, dev.second) + line});
  return out;
}

Status apply_io(const std::string& dir, const oci::BlockIo& b) {
  bool leaf = b.leaf_weight.value_or(0) != 0;
  for (const auto& wd : b.weight_device) leaf = leaf || wd.leaf_weight.value_or(0) != 0;
  if (leaf) log::warn("cgroup", "blockIO leaf weights do not exist on cgroup v2; ignored");
  return apply_writes(dir, io_writes(b, file_exists(dir, "io.bfq.weight")));
}

}  // namespace hutch::cgroup::v2
