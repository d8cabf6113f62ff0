// How `hutch` talks to a container's monitor.
//
// Start (sync channel): the engine runs `hutch-monitor <bundle>` with fd 3 a
// SOCK_SEQPACKET socket, in a new session (or `hutch-monitor -` before the
// bundle exists, and sends "bundle <absolute path>" once it does; EOF
// instead makes that monitor exit), and reads messages from it:
//   "created <pid>"  the runtime created the container; the attach socket
//                    (<rundir>/attach) listens already
//   "started <pid>"  the runtime started it and the database says "running"
//                    (after "start attached": maybe not yet, the record
//                    follows at once); the monitor then closes fd 3
//   "error <text>"   it failed; the monitor has undone everything and exits 1.
//                    A missing executable gives "error exec: <text>" with the
//                    exit code docker gives in <text> after "code=" (126/127).
// After "created" the engine sends "start" (once it attached, if it
// attaches: then "start attached", as it reads the container's end from the
// attach socket rather than the database). If the socket closes before "start", the monitor deletes the
// container again (status back to "created", or removed with --rm) and exits;
// "abandon" first (the engine's insert of the row failed after it sent the
// bundle) makes it do so without touching the database. "name <name>"
// before "start": the container's name for events, when the engine drew
// another after sending the bundle.
//
// Attach socket (<rundir>/attach, SOCK_STREAM, mode 0600): frames of
//   1 byte type, 4 bytes big-endian payload length, payload.
// client -> monitor: kHello first (payload "stdin=0|1,stdout=0|1,stderr=0|1"),
//   then kStdin data, kStdinClose, kResize ("<rows> <cols>").
// monitor -> client: kStdout, kStderr data (with a terminal everything is
//   kStdout); kExit with the exit code as decimal text when the container's
//   process ended (a restart policy may start it again; attach ends there).
//
// Signals to a monitor (its pid: <rundir>/monitor.pid, and monitor_pid /
// monitor_start in the database): SIGUSR1 makes it look at stopped_by_user
// at once (a `stop` while the container waits out a restart backoff);
// SIGTERM and SIGINT are ignored (the container keeps running).
// Database events the monitor adds: "start" (with the "running" record),
// "die" (exitCode), "oom", "health_status: <s>",
// "destroy" (with --rm). Its diagnostics: <bundle>/monitor.log.
// Thread-safety: functions only; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/fd.h"

namespace hutch::monitor {

enum class Frame : uint8_t {
  kStdin = 0,
  kStdout = 1,
  kStderr = 2,
  kExit = 3,
  kStdinClose = 4,
  kResize = 5,
  kHello = 6,
};

constexpr uint32_t kMaxFrame = 1 << 20;

// Writes one frame (whole, retrying on EINTR/short writes).
Status write_frame(int fd, Frame type, std::string_view payload);
// Reads one frame; EOF before a frame gives an error with code 0 and
// *eof = true. Frames longer than kMaxFrame are refused.
Status read_frame(int fd, Frame* type, std::string* payload, bool* eof);

// The same frame as bytes, and the incremental decoder the monitor uses on
// its non-blocking client sockets: returns the bytes of `buf` consumed by one
// whole frame (0 when more data is needed), or an error for a frame longer
// than kMaxFrame.
std::string encode_frame(Frame type, std::string_view payload);
Result<size_t> decode_frame(std::string_view buf, Frame* type, std::string* payload);

// Sync channel messages (one SOCK_SEQPACKET message each, at most 64 KiB).
Status send_message(int fd, std::string_view text);
// EOF gives ok with *eof = true.
Status recv_message(int fd, std::string* text, bool* eof);

// Path of the attach socket in a monitor's run dir.
std::string attach_path(const std::string& rundir);
// Connects to <rundir>/attach and sends kHello.
Result<UniqueFd> connect_attach(const std::string& rundir, bool want_stdin, bool want_stdout, bool want_stderr);

}  // namespace hutch::monitor
