// The container's stdio for one run: pipes for stdout/stderr (and stdin
// with -i, else /dev/null), or a pty whose master the runtime sends to our
// console socket. Output read here goes to one sink (the log and the attach
// clients); stdin from attach clients is written without ever blocking the
// loop (a pending buffer, with backpressure on the clients when it fills).
// Thread-safety: single-threaded (event loop).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "monitor/loop.h"
#include "monitor/process.h"
#include "monitor/settings.h"

namespace hutch::monitor {

enum class OutStream { kStdout, kStderr };

class ContainerIo {
 public:
  static constexpr size_t kStdinHigh = 64 * 1024;

  struct Sink {
    std::function<void(OutStream, std::string_view)> output;
    // true: stop sending stdin, the container does not keep up; false: go on.
    std::function<void(bool)> stdin_pressure;
  };

  ContainerIo() = default;
  ContainerIo(const ContainerIo&) = delete;
  ContainerIo& operator=(const ContainerIo&) = delete;
  ~ContainerIo() { close(); }

  // Makes the pipes, or with a terminal the console socket in the run dir.
  Status prepare(const Settings& s, EventLoop* loop, Sink sink);
  // The stdio for `runtime create`, and its extra arguments.
  Stdio runtime_stdio() const;
  std::vector<std::string> create_args() const;
  // After `runtime create` exited successfully: drops the container's ends
  // of the pipes, receives the pty master, and starts watching the output.
  Status created();
  // What the runtime printed on stderr (read after a failed create).
  std::string runtime_output();

  void write_stdin(std::string_view data);
  // Closes the container's stdin once what is pending was written.
  void close_stdin();
  void resize(unsigned rows, unsigned cols);
  // Reads what is still buffered in the pipes/pty (the init exited).
  void drain();
  void close();

 private:
  void on_output(int fd, OutStream stream, uint32_t events);
  bool read_some(int fd, OutStream stream);  // false at EOF/EIO
  void stop_watching(int fd);
  void flush_stdin();
  void update_master_events();

  const Settings* s_ = nullptr;
  EventLoop* loop_ = nullptr;
  Sink sink_;
  // Pipes: ours (read ends, stdin write end) and the container's.
  UniqueFd out_r_, out_w_, err_r_, err_w_, in_r_, in_w_;
  // Terminal.
  UniqueFd console_, master_;
  std::string console_path_;
  std::string stdin_pending_;
  bool stdin_close_pending_ = false;
  bool pressure_ = false;
};

}  // namespace hutch::monitor
