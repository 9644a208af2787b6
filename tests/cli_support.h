#pragma once
// Running the real `d2a` binary from a test: arguments in, exit status and both streams out.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace d2a::test {

struct CommandResult {
  int status = -1;   // the exit status, or -1 when the process did not exit normally
  std::string out;   // everything written to stdout
  std::string err;   // everything written to stderr
};

// Quotes one argument for /bin/sh.
inline std::string shell_quote(const std::string& arg) {
  std::string quoted = "'";
  for (char ch : arg) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return quoted + "'";
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Runs D2A_EXECUTABLE with `args`; the streams go through files in scratch_dir(name), which is
// emptied first (so give each concurrent call its own name).
inline CommandResult run_d2a(const std::vector<std::string>& args,
                             const std::string& name = "run_d2a") {
  const auto dir = scratch_dir(name);
  std::string command = shell_quote(D2A_EXECUTABLE);
  for (const auto& arg : args) command += " " + shell_quote(arg);
  command += " >" + shell_quote((dir / "stdout").string()) + " 2>" +
             shell_quote((dir / "stderr").string()) + " </dev/null";
  const int raw = std::system(command.c_str());
  CommandResult result;
  result.status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.out = read_text(dir / "stdout");
  result.err = read_text(dir / "stderr");
  return result;
}

// Number of lines in `text` (a last line without '\n' counts).
inline int count_lines(const std::string& text) {
  int lines = 0;
  for (char ch : text) lines += ch == '\n';
  return lines + (!text.empty() && text.back() != '\n');
}

}  // namespace d2a::test
