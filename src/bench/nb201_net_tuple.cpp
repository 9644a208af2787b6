#include "d2a/bench/nb201_net_tuple.h"

#include <array>

#include "d2a/error.h"
#include "d2a/split.h"

namespace d2a {
namespace {

// The tuple's op code -> d2a's op.
constexpr std::array<Nb201Op, kNb201NumOps> kOpOfCode = {
    Nb201Op::kSkipConnect, Nb201Op::kNone, Nb201Op::kNorConv3x3, Nb201Op::kNorConv1x1,
    Nb201Op::kAvgPool3x3};

// Tuple position -> d2a edge index. Tuple edges are (0->1, 0->2, 0->3, 1->2, 1->3, 2->3);
// d2a's are (1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2).
constexpr std::array<int, kNb201NumEdges> kEdgeOfPosition = {0, 1, 3, 2, 4, 5};

Error tuple_error(std::string_view text, const std::string& why) {
  return bad_input("cannot decode NAS-Bench-201 op tuple '" + std::string(text) + "': " + why +
                   " (expected six codes like \"(4, 3, 3, 0, 0, 0)\": 0 skip_connect, 1 none, "
                   "2 nor_conv_3x3, 3 nor_conv_1x1, 4 avg_pool_3x3)");
}

bool is_space(char ch) { return ch == ' ' || ch == '\t'; }

}  // namespace

Nb201Cell nb201_cell_from_net_tuple(std::string_view text) {
  std::string_view body = text;
  while (!body.empty() && is_space(body.front())) body.remove_prefix(1);
  while (!body.empty() && is_space(body.back())) body.remove_suffix(1);
  if (body.size() < 2 || body.front() != '(' || body.back() != ')') {
    throw tuple_error(text, "not enclosed in parentheses");
  }
  body = body.substr(1, body.size() - 2);
  Nb201Cell::Ops ops{};
  int position = 0;
  for (std::string_view token : split_at(body, ',')) {
    while (!token.empty() && is_space(token.front())) token.remove_prefix(1);
    while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
    if (position >= kNb201NumEdges) throw tuple_error(text, "more than six codes");
    if (token.size() != 1 || token[0] < '0' || token[0] >= '0' + kNb201NumOps) {
      throw tuple_error(text, "code " + std::to_string(position + 1) + " is '" +
                                  std::string(token) + "', not one of 0..4");
    }
    ops[kEdgeOfPosition[position++]] = kOpOfCode[token[0] - '0'];
  }
  if (position != kNb201NumEdges) {
    throw tuple_error(text, "only " + std::to_string(position) + " codes");
  }
  return Nb201Cell(ops);
}

std::string nb201_net_tuple(const Nb201Cell& cell) {
  std::string out = "(";
  for (int position = 0; position < kNb201NumEdges; ++position) {
    const Nb201Op op = cell.op(kEdgeOfPosition[position]);
    int code = 0;
    while (kOpOfCode[code] != op) ++code;
    if (position > 0) out += ", ";
    out += static_cast<char>('0' + code);
  }
  return out + ")";
}

}  // namespace d2a
