// FakeTree: a plain directory tree standing in for cgroupfs in unit tests,
// with the mountinfo text that describes it. Tests run the real code
// against it and check the files it leaves. Test-only; header-only.
// Thread-safety: an instance is used by one thread.
#pragma once

#include <stdlib.h>

#include <map>
#include <string>

#include "base/fs.h"

namespace hutch::cgroup::testing {

class FakeTree {
 public:
  FakeTree() {
    char tmpl[] = "/tmp/hutch-cgroup-test-XXXXXX";
    root_ = ::mkdtemp(tmpl) ? tmpl : "";
  }
  ~FakeTree() { (void)fs::remove_all(root_); }
  FakeTree(const FakeTree&) = delete;
  FakeTree& operator=(const FakeTree&) = delete;

  const std::string& root() const { return root_; }
  const std::string& mountinfo() const { return mountinfo_; }

  // A v1 hierarchy at root/<dir> with super options `super` ("rw,cpu,cpuacct").
  std::string v1(const std::string& dir, const std::string& super) {
    return mount(dir, "cgroup", super);
  }
  // The unified tree at root/<dir> ("" for root itself) serving `controllers`.
  std::string v2(const std::string& dir, const std::string& controllers) {
    std::string m = mount(dir, "cgroup2", "rw,nsdelegate");
    file(m + "/cgroup.controllers", controllers);
    file(m + "/cgroup.subtree_control", "");
    file(m + "/cgroup.procs", "");
    return m;
  }
  // Any mountinfo line, e.g. a duplicate bind mount outside the root.
  void raw_mount(const std::string& point, const std::string& fstype, const std::string& super) {
    std::string id = std::to_string(id_++);
    mountinfo_ += id + " 1 0:" + id + " / " + point +
                  " rw,nosuid,nodev,noexec,relatime shared:" + id + " - " + fstype + " " + fstype +
                  " " + super + "\n";
  }

  // A group directory holding the interface files the kernel would make.
  void group(const std::string& dir, const std::map<std::string, std::string>& files) {
    (void)fs::mkdir_p(dir);
    for (const auto& [name, content] : files) file(dir + "/" + name, content);
  }
  void file(const std::string& path, const std::string& content) {
    (void)fs::mkdir_p(fs::dirname(path));
    (void)fs::write_file(path, content);
  }
  std::string read(const std::string& path) const {
    auto r = fs::read_file(path);
    return r.ok() ? *r : "<missing>";
  }

 private:
  std::string mount(const std::string& dir, const std::string& fstype, const std::string& super) {
    std::string m = dir.empty() ? root_ : root_ + "/" + dir;
    (void)fs::mkdir_p(m);
    raw_mount(m, fstype, super);
    return m;
  }

  std::string root_;
  std::string mountinfo_;
  int id_ = 30;
};

}  // namespace hutch::cgroup::testing
