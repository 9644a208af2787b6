#include "d2a/space/cell_list.h"

#include <fstream>

#include "d2a/error.h"

namespace d2a {

std::vector<Nb201Cell> read_cell_list(const std::vector<std::string>& items) {
  std::vector<Nb201Cell> cells;
  for (const std::string& item : items) {
    const auto first = item.find_first_not_of(" \t");
    if (first != std::string::npos && item[first] == '|') {
      cells.push_back(Nb201Cell::parse(item));
      continue;
    }
    std::ifstream in(item);
    if (!in) throw bad_input(item + ": cannot open the list of cells (nor is it a cell string)");
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty() || line[0] == '#') continue;
      try {
        cells.push_back(Nb201Cell::parse(line));
      } catch (const Error& e) {
        throw bad_input(item + ":" + std::to_string(number) + ": " + e.what());
      }
    }
  }
  return cells;
}

}  // namespace d2a
