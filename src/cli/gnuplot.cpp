#include "d2a/cli/gnuplot.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace d2a::cli {

bool run_gnuplot(const std::string& script, const std::string& png, const std::string& who) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    std::cerr << who << ": note: gnuplot not found (tools/setup.sh installs gnuplot-nox); no "
              << png << "\n";
    return false;
  }
  const std::string script_path = png + ".gp";
  {
    std::ofstream out(script_path);
    out << script;
    if (!out.flush()) {
      std::cerr << who << ": note: cannot write " << script_path << "; no plot\n";
      return false;
    }
  }
  const std::string command = "gnuplot '" + script_path + "' 2>'" + png + ".log'";
  std::error_code error;
  if (std::system(command.c_str()) != 0 || !std::filesystem::exists(png, error) ||
      std::filesystem::file_size(png, error) == 0) {
    std::cerr << who << ": note: gnuplot failed (see " << png << ".log); no plot\n";
    return false;
  }
  return true;
}

}  // namespace d2a::cli
