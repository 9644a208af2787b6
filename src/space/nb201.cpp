#include "d2a/space/nb201.h"

#include "d2a/error.h"

namespace d2a {
namespace {

constexpr std::array<std::string_view, kNb201NumOps> kOpNames = {
    "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"};

Error parse_error(std::string_view text, std::string_view why) {
  return bad_input("cannot parse NAS-Bench-201 cell '" + std::string(text) + "': " +
                   std::string(why) + " (expected |op~0|+|op~0|op~1|+|op~0|op~1|op~2|)");
}

}  // namespace

std::string_view nb201_op_name(Nb201Op op) { return kOpNames.at(static_cast<std::size_t>(op)); }

Nb201Op nb201_op_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kOpNames.size(); ++i) {
    if (kOpNames[i] == name) return static_cast<Nb201Op>(i);
  }
  throw bad_input("unknown NAS-Bench-201 op '" + std::string(name) +
                  "' (valid: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)");
}

std::vector<std::string> nb201_op_names() { return {kOpNames.begin(), kOpNames.end()}; }

Nb201Cell::Nb201Cell() { ops_.fill(Nb201Op::kNone); }

Nb201Cell Nb201Cell::parse(std::string_view text) {
  // Split on '+' into node groups; each group is |op~src|op~src|... with sources 0..j-1.
  Ops ops{};
  int edge = 0;
  std::size_t pos = 0;
  for (int node = 1; node < kNb201NumNodes; ++node) {
    const std::size_t end = node + 1 < kNb201NumNodes ? text.find('+', pos) : text.size();
    if (end == std::string_view::npos) throw parse_error(text, "too few '+'-separated nodes");
    std::string_view group = text.substr(pos, end - pos);
    if (group.size() < 2 || group.front() != '|' || group.back() != '|') {
      throw parse_error(text, "node " + std::to_string(node) + " must be enclosed in '|'");
    }
    group = group.substr(1, group.size() - 2);
    for (int src = 0; src < node; ++src) {
      const std::size_t bar = group.find('|');
      std::string_view token = group.substr(0, bar);
      group = bar == std::string_view::npos ? std::string_view{} : group.substr(bar + 1);
      const std::size_t tilde = token.find('~');
      if (tilde == std::string_view::npos) {
        throw parse_error(text, "token '" + std::string(token) + "' has no '~'");
      }
      if (token.substr(tilde + 1) != std::to_string(src)) {
        throw parse_error(text, "token '" + std::string(token) + "' of node " +
                                    std::to_string(node) + " should read from node " +
                                    std::to_string(src));
      }
      ops[edge++] = nb201_op_from_name(token.substr(0, tilde));
      if (src + 1 < node && bar == std::string_view::npos) {
        throw parse_error(text, "node " + std::to_string(node) + " needs " +
                                    std::to_string(node) + " inputs");
      }
    }
    if (!group.empty()) {
      throw parse_error(text, "node " + std::to_string(node) + " has more than " +
                                  std::to_string(node) + " inputs");
    }
    pos = end + 1;
  }
  if (pos < text.size()) throw parse_error(text, "trailing text after node 3");
  return Nb201Cell(ops);
}

Nb201Cell Nb201Cell::from_dense_index(int index) {
  if (index < 0 || index >= kNb201NumCells) {
    throw bad_input("cell index " + std::to_string(index) + " is outside [0, 15625)");
  }
  Ops ops{};
  for (int e = kNb201NumEdges - 1; e >= 0; --e) {
    ops[e] = static_cast<Nb201Op>(index % kNb201NumOps);
    index /= kNb201NumOps;
  }
  return Nb201Cell(ops);
}

int Nb201Cell::dense_index() const {
  int index = 0;
  for (Nb201Op op : ops_) index = index * kNb201NumOps + static_cast<int>(op);
  return index;
}

Nb201Cell Nb201Cell::from_codes(const std::array<std::uint8_t, kNb201NumEdges>& codes) {
  Ops ops{};
  for (int e = 0; e < kNb201NumEdges; ++e) {
    if (codes[e] >= kNb201NumOps) {
      throw bad_input("op code " + std::to_string(codes[e]) + " on edge " + std::to_string(e) +
                      " is outside [0, 5)");
    }
    ops[e] = static_cast<Nb201Op>(codes[e]);
  }
  return Nb201Cell(ops);
}

std::array<std::uint8_t, kNb201NumEdges> Nb201Cell::codes() const {
  std::array<std::uint8_t, kNb201NumEdges> codes{};
  for (int e = 0; e < kNb201NumEdges; ++e) codes[e] = static_cast<std::uint8_t>(ops_[e]);
  return codes;
}

std::string Nb201Cell::str() const {
  std::string out;
  int edge = 0;
  for (int node = 1; node < kNb201NumNodes; ++node) {
    if (node > 1) out += '+';
    out += '|';
    for (int src = 0; src < node; ++src) {
      out += nb201_op_name(ops_[edge++]);
      out += '~';
      out += std::to_string(src);
      out += '|';
    }
  }
  return out;
}

std::vector<Nb201Cell> all_nb201_cells() {
  std::vector<Nb201Cell> cells;
  cells.reserve(kNb201NumCells);
  for (int i = 0; i < kNb201NumCells; ++i) cells.push_back(Nb201Cell::from_dense_index(i));
  return cells;
}

}  // namespace d2a
