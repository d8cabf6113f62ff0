// FileWriter: creates the regular files of a layer on worker threads, so
// that file creation and data writes (mostly kernel time: inode allocation,
// page-cache copies) run on other cores while the unpacker keeps parsing.
//
// The unpacker reads a file's data into a FileJob and submits it; a worker
// does what the unpacker would do inline (write_file): create the name with
// O_EXCL|O_NOFOLLOW below the parent fd the job owns, write the data, set
// the size, owner, mode, xattrs and times. Jobs run in any order: the
// caller must only submit names that nothing else is touching, and wait()
// before an entry that could see or change a pending name (see
// pending_on_path). Creating a file locks its directory (i_rwsem), so all
// the jobs of one directory go to the same writer, in order; writers then
// only run side by side on different directories. Queued data is bounded
// (kMaxQueuedBytes): submit() blocks while the queue is full. The first failure
// is kept; after it no more jobs run and every later call returns it.
// Thread-safety: one thread (the owner) calls the member functions; the
// worker threads are internal, and ~FileWriter drops queued jobs and joins
// them, so no thread outlives the instance.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace hutch::image::internal {

struct FileMeta {
  mode_t perm = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  bool chown = false;
  struct timespec times[2] = {};  // atime, mtime (futimens order)
};

struct Xattr {
  std::string key;
  std::string value;
};

// One regular file to create. `data` holds its bytes in the order they came;
// `extents` says where each run goes (file offset, length), so sparse data
// keeps its holes.
struct FileJob {
  UniqueFd parent;
  std::string base;
  std::string path;  // normalised (join_components), for the pending set
  std::string name;  // as written in the tar, for errors
  std::string data;
  std::vector<std::pair<int64_t, size_t>> extents;
  int64_t size = -1;  // from the header; -1 when not set
  FileMeta meta;
  std::vector<Xattr> xattrs;
};

// pwrite(2) until all of `size` is written.
Status write_all_at(int fd, const char* p, size_t size, int64_t off);
// The size, owner, mode, xattrs and times of a file whose data is written
// (`end`: where its data ends); `shown` names it in warnings.
Status finish_file(int fd, int64_t size, int64_t end, const FileMeta& m, const std::vector<Xattr>& xattrs,
                   const std::string& shown);
// The whole job, on the calling thread. Errors do not name the entry.
Status write_file(FileJob& job);

class FileWriter {
 public:
  // Bounds on what is queued: 16 MiB is as fast as 64 MiB for a big
  // layer; much less leaves the writers idle while this thread parses.
  static constexpr size_t kMaxQueuedBytes = 16u << 20;
  static constexpr size_t kMaxQueuedJobs = 4096;
  static constexpr size_t kMaxSpare = 8;
  static constexpr size_t kMaxSpareSize = 1u << 20;

  // `threads` > 0 writers; they start with the first submit().
  explicit FileWriter(int threads);
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Queues a job; blocks while the queue is full. Returns a worker's error
  // (the job is then dropped).
  Status submit(FileJob job);
  // An empty buffer for a job's data, reusing a finished job's memory.
  std::string buffer();
  // Waits until no job is queued or running; returns the first error.
  Status wait();
  // The first error so far, if any (does not wait).
  Status error();
  // Whether `parts` or one of its leading components names a file that is
  // queued or being written.
  bool pending_on_path(const std::vector<std::string>& parts);

 private:
  void run(size_t i);

  const int threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable work_;             // a job was queued, or stop_
  std::condition_variable done_;             // a job finished
  std::vector<std::deque<FileJob>> queues_;  // one per writer
  size_t queued_jobs_ = 0;
  std::unordered_set<std::string> pending_;  // queued or running paths
  std::vector<std::string> spare_;           // data buffers to reuse
  size_t queued_bytes_ = 0;
  size_t running_ = 0;
  bool stop_ = false;
  bool failed_ = false;
  Error error_;
};

}  // namespace hutch::image::internal
