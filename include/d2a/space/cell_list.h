#pragma once
// Lists of NAS-Bench-201 cells given on a command line: cell strings, or files of them. No torch.
#include <string>
#include <vector>

#include "d2a/space/nb201.h"

namespace d2a {

// Each item is a cell string (it starts with '|') or a file of cells, one per line ('#' starts a
// comment line, blank lines are skipped). Throws d2a::Error (bad input) naming the item, or the
// file and line, that does not parse or cannot be read.
std::vector<Nb201Cell> read_cell_list(const std::vector<std::string>& items);

}  // namespace d2a
