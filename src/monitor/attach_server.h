// The attach socket (<rundir>/attach): many clients at once, each saying
// in its kHello which streams it wants; container output is fanned out to
// them as frames (protocol.h), their kStdin/kStdinClose/kResize frames are
// passed to the container's stdio. A slow client never blocks the
// container: beyond its socket's (enlarged) buffer, its pending output is
// capped (kMaxPending) and a client that exceeds it is disconnected. Thread-safety: single-threaded (event loop).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "monitor/loop.h"
#include "monitor/protocol.h"

namespace hutch::monitor {

class AttachServer {
 public:
  static constexpr size_t kMaxPending = 256 * 1024;

  struct Callbacks {
    std::function<void(std::string_view)> stdin_data;
    std::function<void()> stdin_close;
    std::function<void(unsigned rows, unsigned cols)> resize;
  };

  AttachServer() = default;
  AttachServer(const AttachServer&) = delete;
  AttachServer& operator=(const AttachServer&) = delete;
  ~AttachServer();

  // Listens on `path` (mode 0600).
  Status listen(EventLoop* loop, const std::string& path, Callbacks cb);
  // Accepts the connections already waiting and handles what they sent,
  // without blocking: run before the container starts, so a client that
  // connected and said hello first sees all of the output.
  void poll_pending();
  // kStdout / kStderr data to the clients that asked for that stream.
  void broadcast(Frame type, std::string_view data);
  // kExit to every client, a moment for them to read it, then closes them.
  void end_all(int exit_code);
  // Sends the exit frame now (clients get up to a second to take what is
  // pending) but keeps the connections: end_all closes them later without
  // sending it again (--rm: the exit code, then the removal).
  void send_exit(int exit_code);
  // Backpressure: stop (or resume) reading clients while the container's
  // stdin is full.
  void pause_input(bool paused);
  // Stops listening, closes every client, removes the socket file.
  void close();
  size_t client_count() const { return clients_.size(); }

 private:
  struct Client {
    UniqueFd fd;
    bool hello = false, want_stdin = false, want_stdout = false, want_stderr = false;
    bool dead = false;
    bool read_closed = false;  // the client shut down its writing side
    std::string in, out;
  };
  void on_accept();
  void on_client(Client* c, uint32_t events);
  void handle_frame(Client* c, Frame type, std::string_view payload);
  void queue(Client* c, std::string_view bytes);
  void flush(Client* c);
  void update_events(Client* c);
  void sweep();

  EventLoop* loop_ = nullptr;
  UniqueFd listen_;
  std::string path_;
  Callbacks cb_;
  bool input_paused_ = false;
  bool accept_paused_ = false;
  std::vector<std::unique_ptr<Client>> clients_;
  bool exit_sent_ = false;  // send_exit ran; end_all only closes
};

}  // namespace hutch::monitor
