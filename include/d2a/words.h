#pragma once
// Words in the text a person reads: counts ("1 epoch", "2 epochs") and shell words of a
// command to copy. No torch here.
#include <cstdint>
#include <string>

namespace d2a {

// `n` and the noun, plural (noun + "s") unless n is 1.
inline std::string count_of(std::int64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// `text` as one word of a POSIX shell command: as it is when it holds only characters no shell
// treats specially (letters, digits, and _ - . / : = , + @ %), else in single quotes, each ' in
// it written '\''.
inline std::string shell_word(const std::string& text) {
  bool plain = !text.empty();
  for (const char c : text) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string("_-./:=,+@%").find(c) != std::string::npos;
    plain = plain && safe;
  }
  if (plain) return text;
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace d2a
