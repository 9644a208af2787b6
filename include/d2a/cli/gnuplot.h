#pragma once
// Plots through gnuplot (Debian's gnuplot-nox, which tools/setup.sh installs). No torch here.
#include <string>

namespace d2a::cli {

// Runs the gnuplot script `script` (text) that writes `png`: the script is saved beside it as
// <png>.gp and gnuplot's messages as <png>.log. Returns true when the PNG was written; otherwise
// prints one note on stderr, prefixed with `who` ("d2a search"), and returns false: a missing
// plot never fails the command that wanted it.
bool run_gnuplot(const std::string& script, const std::string& png, const std::string& who);

}  // namespace d2a::cli
