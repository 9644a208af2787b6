#pragma once
// Private to src/db: replacing a file so that a crash or a full disk never leaves a half-written
// file where a good one was.
#include <string>
#include <vector>

namespace d2a {

// Writes `bytes` to `path.tmp-<pid>` in the same folder, fsyncs it, renames it over `path` and
// fsyncs the folder. On failure removes the temporary file, leaves `path` as it was, and throws
// d2a::Error with one line naming `path` and the system's reason: bad input when the user can
// fix it (missing folder, no permission, read-only file system), a runtime failure otherwise
// (disk full, file too large, I/O error).
void replace_file_atomically(const std::string& path, const std::vector<char>& bytes);

}  // namespace d2a
