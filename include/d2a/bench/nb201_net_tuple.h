#pragma once
// The `net` column of the HW-NAS-Bench latency table and the NASLib zero-cost proxies table:
// a tuple of six op codes such as "(4, 3, 3, 0, 0, 0)". Both the codes and the edge order differ
// from d2a's cell (nb201.h):
//   codes: 0 skip_connect, 1 none, 2 nor_conv_3x3, 3 nor_conv_1x1, 4 avg_pool_3x3
//   edges: (0->1), (0->2), (0->3), (1->2), (1->3), (2->3)   (the cell string reads
//          (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2))
#include <string>
#include <string_view>

#include "d2a/space/nb201.h"

namespace d2a {

// Decodes a tuple; spaces around the codes are optional. Throws d2a::Error (bad input) quoting
// the text and saying what is wrong (not six codes, a code outside 0..4, missing parentheses).
Nb201Cell nb201_cell_from_net_tuple(std::string_view text);

// Encodes a cell in the files' own spelling, "(a, b, c, d, e, f)"; the inverse of the decoder.
std::string nb201_net_tuple(const Nb201Cell& cell);

}  // namespace d2a
