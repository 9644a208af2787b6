#pragma once
// A first read in a forked child, for files read by libraries that can crash or hang on damaged
// input (fuzzing found both in libhdf5 1.10 and in LibTorch 1.13's archive reader). If the
// library kills the child or runs past the deadline, the caller gets one d2a::Error line instead
// of a dead or stuck process. If the child's read refuses the file with a d2a::Error, the caller
// gets that same error and must not read the file itself: a library that once refused a damaged
// file may crash on it the next time. Only a file the child read without error is read again
// in-process (the child's result is thrown away).
#include <cstddef>
#include <functional>
#include <string>

namespace d2a {

// Runs `read` in a forked child. A d2a::Error it throws there is thrown here, same message and
// kind (so `read` should turn every failure into one); anything else it throws is ignored. Throws
// d2a::Error (bad input) "PATH: corrupt WHAT (the LIBRARY crashed reading it: SIGNAL)" or "... did not finish
// reading it in N s)". The deadline is 30 s plus 1 s per 10 MB of the file, or
// $D2A_PROBE_SECONDS (tests, fuzzing). $D2A_NO_PROBE (e.g. under a debugger), a failed fork,
// or a sanitizer build running other threads skips the probe. A `memory_limit_bytes` > 0 caps
// the child's heap (RLIMIT_DATA; not under AddressSanitizer, whose shadow memory counts): a
// read that runs out of it throws "... (the LIBRARY asked for more than N MB to read it)" (a
// damaged 4.6 KB weights.pt made LibTorch 1.13 allocate 4.5 GB before refusing it).
void read_first_in_child(const std::string& path, const std::string& what, const std::string& library,
                         const std::function<void()>& read, std::size_t memory_limit_bytes = 0);

}  // namespace d2a
