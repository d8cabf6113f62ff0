#include "image/internal/file_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/log.h"

namespace hutch::image::internal {
namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

Status write_all_at(int fd, const char* p, size_t size, int64_t off) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("write file data");
    p += n;
    size -= static_cast<size_t>(n);
    off += n;
  }
  return {};
}

Status finish_file(int fd, int64_t size, int64_t end, const FileMeta& m, const std::vector<Xattr>& xattrs,
                   const std::string& shown) {
  // A trailing hole: the size comes from the header, not from data.
  if (size > end && ::ftruncate(fd, size) != 0) return Error::from_errno("set file size");
  // chown before chmod: chown clears the set-user-ID and set-group-ID bits.
  if (m.chown && ::fchown(fd, m.uid, m.gid) != 0) return Error::from_errno("chown file");
  if (::fchmod(fd, m.perm) != 0) return Error::from_errno("chmod file");
  for (const Xattr& x : xattrs) {
    if (::fsetxattr(fd, x.key.c_str(), x.value.data(), x.value.size(), 0) == 0) continue;
    if (errno == EPERM || errno == ENOTSUP) {
      log::warn("image", "cannot set xattr " + x.key + " on " + quoted(shown) + ", skipped");
      continue;
    }
    return Error::from_errno("set xattr " + quoted(x.key));
  }
  if (::futimens(fd, m.times) != 0) return Error::from_errno("set file times");
  return {};
}

Status write_file(FileJob& job) {
  UniqueFd f(::openat(job.parent.get(), job.base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!f) return Error::from_errno("create file");
  const char* p = job.data.data();
  int64_t end = 0;
  for (auto [off, len] : job.extents) {
    TRY(write_all_at(f.get(), p, len, off));
    p += len;
    end = std::max<int64_t>(end, off + static_cast<int64_t>(len));
  }
  return finish_file(f.get(), job.size, end, job.meta, job.xattrs, job.base);
}

FileWriter::FileWriter(int threads) : threads_(threads), queues_(static_cast<size_t>(threads)) {}

FileWriter::~FileWriter() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  work_.notify_all();
  for (std::thread& t : workers_) t.join();
}

Status FileWriter::submit(FileJob job) {
  std::unique_lock l(mu_);
  // Started on first use: a layer without files costs no threads.
  while (static_cast<int>(workers_.size()) < threads_) {
    size_t i = workers_.size();
    workers_.emplace_back([this, i] { run(i); });
  }
  size_t size = job.data.size();
  done_.wait(l, [&] {
    return failed_ ||
           ((queued_bytes_ == 0 || queued_bytes_ + size <= kMaxQueuedBytes) && queued_jobs_ < kMaxQueuedJobs);
  });
  if (failed_) return Error(error_);
  pending_.insert(job.path);
  queued_bytes_ += size;
  // Creating a file locks its directory (i_rwsem): one directory's files
  // go to one writer, so writers do not wait on each other.
  size_t dir_end = job.path.rfind('/');
  std::string_view dir =
      dir_end == std::string::npos ? std::string_view() : std::string_view(job.path).substr(0, dir_end);
  queues_[std::hash<std::string_view>()(dir) % queues_.size()].push_back(std::move(job));
  ++queued_jobs_;
  l.unlock();
  work_.notify_all();
  return {};
}

std::string FileWriter::buffer() {
  std::lock_guard l(mu_);
  if (spare_.empty()) return {};
  std::string b = std::move(spare_.back());
  spare_.pop_back();
  b.clear();
  return b;
}

Status FileWriter::wait() {
  std::unique_lock l(mu_);
  done_.wait(l, [&] { return failed_ ? running_ == 0 : queued_jobs_ == 0 && running_ == 0; });
  if (failed_) return Error(error_);
  return {};
}

Status FileWriter::error() {
  std::lock_guard l(mu_);
  if (failed_) return Error(error_);
  return {};
}

bool FileWriter::pending_on_path(const std::vector<std::string>& parts) {
  std::lock_guard l(mu_);
  if (pending_.empty()) return false;
  std::string path;
  for (const std::string& p : parts) {
    if (!path.empty()) path += '/';
    path += p;
    if (pending_.count(path)) return true;
  }
  return false;
}

void FileWriter::run(size_t i) {
  std::deque<FileJob>& queue = queues_[i];
  for (;;) {
    FileJob job;
    {
      std::unique_lock l(mu_);
      work_.wait(l, [&] { return stop_ || !queue.empty(); });
      if (stop_) return;
      job = std::move(queue.front());
      queue.pop_front();
      --queued_jobs_;
      ++running_;
    }
    Status st = write_file(job);
    if (!st.ok()) st = std::move(st).error().with_context("entry " + quoted(job.name));
    size_t size = job.data.size();
    std::string path = std::move(job.path);
    std::string data = std::move(job.data);
    // Close the fds outside the lock.
    job = FileJob();
    {
      std::lock_guard l(mu_);
      // A fresh buffer costs page faults as it fills; keep a few.
      if (spare_.size() < kMaxSpare && data.capacity() <= kMaxSpareSize) spare_.push_back(std::move(data));
      --running_;
      queued_bytes_ -= size;
      pending_.erase(path);
      if (!st.ok() && !failed_) {
        failed_ = true;
        error_ = std::move(st).error();
        // Nothing more runs: drop what is queued.
        for (std::deque<FileJob>& q : queues_) {
          for (const FileJob& j : q) {
            queued_bytes_ -= j.data.size();
            pending_.erase(j.path);
          }
          q.clear();
        }
        queued_jobs_ = 0;
      }
    }
    done_.notify_all();
  }
}

}  // namespace hutch::image::internal
