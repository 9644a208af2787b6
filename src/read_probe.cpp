#include "d2a/read_probe.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <thread>

#include "d2a/error.h"

namespace d2a {

namespace {

constexpr int kOutOfMemoryExit = 3;
constexpr int kRefusedExit = 4;  // the read threw a d2a::Error: its kind and message follow
constexpr std::size_t kMaxMessage = 4096;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUnderSanitizer = true;
#else
constexpr bool kUnderSanitizer = false;
#endif
#else
constexpr bool kUnderSanitizer = false;
#endif

int threads_in_process() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "Threads:") {
      int n = 0;
      status >> n;
      return n;
    }
  }
  return 1;
}

}  // namespace

void read_first_in_child(const std::string& path, const std::string& what, const std::string& library,
                         const std::function<void()>& read, std::size_t memory_limit_bytes) {
  if (std::getenv("D2A_NO_PROBE") != nullptr) return;
  // Under AddressSanitizer, a forked child of a process running other threads (c10d's Gloo and
  // store threads in a data-parallel job) was seen to hang in the sanitizer's runtime: there
  // the file is read in-process only.
  if (kUnderSanitizer && threads_in_process() > 1) return;
  std::fflush(nullptr);
  int message_pipe[2];
  if (pipe2(message_pipe, O_CLOEXEC) != 0) return;  // no pipe to spare: the caller reads in-process
  const pid_t pid = fork();
  if (pid < 0) {
    close(message_pipe[0]);
    close(message_pipe[1]);
    return;  // no child to spare: the caller reads in-process as before
  }
  if (pid == 0) {
    close(message_pipe[0]);
    if (memory_limit_bytes > 0 && !kUnderSanitizer) {
      rlimit limit{};
      getrlimit(RLIMIT_DATA, &limit);
      if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > memory_limit_bytes) {
        limit.rlim_cur = memory_limit_bytes;
        setrlimit(RLIMIT_DATA, &limit);
      }
    }
    try {
      read();
    } catch (const std::bad_alloc&) {
      _exit(kOutOfMemoryExit);
    } catch (const Error& e) {
      // A refusal: the parent throws it as it is and never reads the file itself, for a
      // library that refused a damaged file once may crash on it the next time (LibTorch's
      // TorchScript parser reads past its buffer on one fuzzed file: mostly SIGSEGV, now and
      // then an exception).
      const std::string message = std::string(1, e.kind() == ErrorKind::kBadInput ? 'B' : 'R') +
                                  std::string(e.what()).substr(0, kMaxMessage);
      if (write(message_pipe[1], message.data(), message.size()) == static_cast<ssize_t>(message.size())) {
        _exit(kRefusedExit);
      }
    } catch (...) {
      // Not one of ours: the caller's own read repeats it with its message.
    }
    _exit(0);
  }
  close(message_pipe[1]);
  std::error_code error;
  const auto bytes = std::filesystem::file_size(path, error);
  long allowed_s = 30 + (error ? 0L : static_cast<long>(bytes / 10'000'000));
  if (const char* override_s = std::getenv("D2A_PROBE_SECONDS")) allowed_s = std::max(1L, std::atol(override_s));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(allowed_s);
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      close(message_pipe[0]);
      throw bad_input(path + ": corrupt " + what + " (the " + library + " did not finish reading it in " +
                      std::to_string(allowed_s) + " s)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // The child has exited, so the pipe holds all it wrote (at most kMaxMessage + 1 bytes, well
  // under a pipe's buffer) and then reads as closed.
  std::string message;
  char buffer[1024];
  for (ssize_t got; (got = ::read(message_pipe[0], buffer, sizeof buffer)) != 0;) {
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) break;
    message.append(buffer, static_cast<std::size_t>(got));
  }
  close(message_pipe[0]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == kRefusedExit && !message.empty()) {
    throw Error(message.substr(1), message[0] == 'B' ? ErrorKind::kBadInput : ErrorKind::kRuntime);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kOutOfMemoryExit && memory_limit_bytes > 0) {
    throw bad_input(path + ": corrupt " + what + " (the " + library + " asked for more than " +
                    std::to_string(memory_limit_bytes >> 20) + " MB to read it)");
  }
  // The child exits 0 unless the read killed it (a signal, or a sanitizer's report and exit).
  if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0)) {
    throw bad_input(path + ": corrupt " + what + " (the " + library + " crashed reading it: " +
                    (WIFSIGNALED(status) ? std::string(strsignal(WTERMSIG(status)))
                                         : "exit " + std::to_string(WEXITSTATUS(status))) +
                    ")");
  }
}

}  // namespace d2a
